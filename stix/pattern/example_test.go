package pattern_test

import (
	"fmt"
	"time"

	"github.com/dragnet-intel/dragnet/stix/pattern"
)

func ExampleParse() {
	p, err := pattern.Parse("[file:hashes.'SHA-256'='aec0' OR file:name LIKE 'x%']FOLLOWEDBY[url:value = 'http://x.example/'] WITHIN 300 SECONDS")
	fmt.Println(p, err)
	_, err = pattern.Parse("[ipv4-addr:value = '198.51.100.1' ipv4-addr:value = '203.0.113.33']")
	fmt.Println(err)
	// Output:
	// [file:hashes.'SHA-256' = 'aec0' OR file:name LIKE 'x%'] FOLLOWEDBY [url:value = 'http://x.example/'] WITHIN 300 SECONDS <nil>
	// column 35: expected ']' after comparison, found 'ipv4-addr'
}

func ExamplePattern_Simple() {
	p := pattern.MustParse("[domain-name:value = 'x.example' OR url:value = 'http://y.example/'] OR [file:hashes.'SHA-256' IN ('aa', 'bb')]")
	cs, ok := p.Simple()
	fmt.Println(ok)
	for _, c := range cs {
		fmt.Println(c.Type, c.Path, c.Op, c.Value)
	}
	// Output:
	// true
	// domain-name value = x.example
	// url value = http://y.example/
	// file hashes.SHA-256 = aa
	// file hashes.SHA-256 = bb
}

func ExampleMatch() {
	t := time.Date(2016, 4, 6, 20, 0, 0, 0, time.UTC)
	obs := []pattern.Observation{
		{FirstObserved: t, LastObserved: t, NumberObserved: 1, Objects: map[string]map[string]any{
			"network-traffic--1": {"type": "network-traffic", "dst_ref": "ipv4-addr--1", "dst_port": 443.0},
			"ipv4-addr--1":       {"type": "ipv4-addr", "value": "203.0.113.33"},
		}},
	}
	for _, s := range []string{
		"[network-traffic:dst_ref.value ISSUBSET '203.0.113.0/24' AND network-traffic:dst_port = 443]",
		"[network-traffic:dst_ref.value = '203.0.113.33'] REPEATS 2 TIMES",
	} {
		ok, err := pattern.Match(pattern.MustParse(s), obs)
		fmt.Println(ok, err)
	}
	// Output:
	// true <nil>
	// false <nil>
}
