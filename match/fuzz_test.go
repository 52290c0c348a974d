package match

import (
	"testing"

	"github.com/dragnet-intel/dragnet"
)

// FuzzLookup feeds arbitrary text to every lookup of an index holding one
// indicator of each kind: nothing may panic, and a URL that canonicalises
// must canonicalise to itself again.
func FuzzLookup(f *testing.F) {
	for _, s := range []string{
		"198.51.100.7", "2001:db8::1", "203.0.113.0/24", "x.c2.evil.example.", "HTTP://BAD.example:80/x?y=1#f",
		"Phish@Bad.Example", "d41d8cd98f00b204e9800998ecf8427e", "", ".", "..", "a..b", "http://[::1", "http://@/",
		"\xff\xfe", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g",
	} {
		f.Add(s)
	}
	ix, err := Compile(Entries(world()), Options{Now: clock, Suppress: NewSuppression([]dragnet.Value{val(dragnet.ValueDomain, "google.com")})})
	if err != nil {
		f.Fatal(err)
	}
	acc := &dragnet.Access{Audiences: []int64{1, 2, 3}}
	kinds := []dragnet.ValueKind{dragnet.ValueIPv4, dragnet.ValueIPv6, dragnet.ValueCIDR, dragnet.ValueDomain, dragnet.ValueURL,
		dragnet.ValueEmail, dragnet.ValueMD5, dragnet.ValueSHA1, dragnet.ValueSHA256, dragnet.ValueSHA512, "other"}
	f.Fuzz(func(t *testing.T, s string) {
		for _, k := range kinds {
			for _, h := range ix.Lookup(dragnet.Value{Kind: k, Value: s}, acc) {
				if h.IndicatorID() == "" || h.Matched().Value == "" {
					t.Fatalf("%s %q: empty hit %+v", k, s, h)
				}
			}
		}
		if u, ok := urlCanon(nil, s); ok {
			if u2, ok2 := urlCanon(nil, string(u)); !ok2 || string(u2) != string(u) {
				t.Fatalf("urlCanon(%q) = %q, then %q %v", s, u, u2, ok2)
			}
		}
	})
}
