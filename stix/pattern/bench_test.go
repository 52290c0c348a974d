package pattern

import (
	"fmt"
	"testing"
	"time"
)

var benchPatterns = []struct{ name, pattern string }{
	{"ipv4", "[ipv4-addr:value = '198.51.100.1']"},
	{"sha256", "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']"},
	{"or7", "[domain-name:value = 'www.webserver.freetcp.com' OR ipv4-addr:value = '113.10.246.30' OR ipv4-addr:value = '219.90.112.203' OR ipv4-addr:value = '202.65.220.64' OR ipv4-addr:value = '75.126.95.138' OR ipv4-addr:value = '219.90.112.197' OR ipv4-addr:value = '202.65.222.45']"},
	{"complex", "[file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar' AND windows-registry-key:values[*].name MATCHES '^run'] WITHIN 300 SECONDS"},
}

func BenchmarkParse(b *testing.B) {
	for _, bp := range benchPatterns {
		b.Run(bp.name, func(b *testing.B) {
			b.SetBytes(int64(len(bp.pattern)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(bp.pattern); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchObservations makes n observations a minute apart, each with an
// address, a file and a registry key; the last ones are what the complex
// pattern looks for.
func benchObservations(n int) []Observation {
	t0 := time.Date(2016, 6, 1, 0, 0, 0, 0, time.UTC)
	obs := make([]Observation, n)
	for i := range obs {
		ts := t0.Add(time.Duration(i) * time.Minute)
		md5 := fmt.Sprintf("%032x", i)
		key := fmt.Sprintf("HKEY_LOCAL_MACHINE\\k%d", i)
		if i == n-2 {
			md5 = "79054025255fb1a26e4bc422aef54eb4"
		}
		if i == n-1 {
			key = "HKEY_LOCAL_MACHINE\\foo\\bar"
		}
		obs[i] = Observation{FirstObserved: ts, LastObserved: ts, NumberObserved: 1, Objects: map[string]map[string]any{
			"ipv4-addr--1":            {"type": "ipv4-addr", "value": fmt.Sprintf("198.51.%d.%d", i/256%256, i%256)},
			"file--1":                 {"type": "file", "name": "x.exe", "hashes": map[string]any{"MD5": md5}},
			"windows-registry-key--1": {"type": "windows-registry-key", "key": key, "values": []any{map[string]any{"name": "runner"}}},
		}}
	}
	return obs
}

func BenchmarkMatch(b *testing.B) {
	for _, n := range []int{1, 100} {
		obs := benchObservations(n)
		for _, bp := range benchPatterns {
			p := MustParse(bp.pattern)
			b.Run(fmt.Sprintf("%s/obs=%d", bp.name, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := Match(p, obs); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "observations/s")
			})
		}
	}
}
