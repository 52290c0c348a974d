package dragnet_test

import (
	"testing"

	"github.com/dragnet-intel/dragnet"
)

func TestParseTLP(t *testing.T) {
	good := map[string]dragnet.TLP{
		"clear": dragnet.TLPClear, "TLP:WHITE": dragnet.TLPClear, "green": dragnet.TLPGreen,
		"TLP:AMBER": dragnet.TLPAmber, "amber+strict": dragnet.TLPAmberStrict,
		"TLP:AMBER+STRICT": dragnet.TLPAmberStrict, " red ": dragnet.TLPRed,
	}
	for in, want := range good {
		got, err := dragnet.ParseTLP(in)
		if err != nil || got != want {
			t.Errorf("ParseTLP(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "amber+", "pink", "tlp:"} {
		if _, err := dragnet.ParseTLP(in); dragnet.ErrorCode(err) != dragnet.EINVALID {
			t.Errorf("ParseTLP(%q) error = %v; want EINVALID", in, err)
		}
	}
	if dragnet.TLPAmberStrict.Label() != "TLP:AMBER+STRICT" || dragnet.TLPRed <= dragnet.TLPAmberStrict {
		t.Error("labels or ordering wrong")
	}
}

func TestTLPOfMarkings(t *testing.T) {
	tests := []struct {
		refs    []string
		want    dragnet.TLP
		invalid bool
	}{
		{nil, dragnet.TLPNone, false},
		{[]string{"marking-definition--00000000-0000-4000-8000-000000000000"}, dragnet.TLPNone, false},
		{[]string{dragnet.TLP1White}, dragnet.TLPClear, false},
		{[]string{dragnet.TLP1Amber, dragnet.TLP2Amber}, dragnet.TLPAmber, false},
		{[]string{dragnet.TLP2AmberStrict}, dragnet.TLPAmberStrict, false},
		{[]string{dragnet.TLP2Green, dragnet.TLP2Red}, dragnet.TLPNone, true},
		{[]string{dragnet.TLP2Amber, dragnet.TLP2AmberStrict}, dragnet.TLPNone, true},
	}
	for _, tt := range tests {
		got, err := dragnet.TLPOfMarkings(tt.refs)
		if tt.invalid {
			if dragnet.ErrorCode(err) != dragnet.EINVALID {
				t.Errorf("TLPOfMarkings(%v) error = %v; want EINVALID", tt.refs, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("TLPOfMarkings(%v) = %v, %v; want %v", tt.refs, got, err, tt.want)
		}
	}
	for l := dragnet.TLPClear; l <= dragnet.TLPRed; l++ {
		if dragnet.TLPOfMarking(dragnet.MarkingOfTLP(l)) != l {
			t.Errorf("marking round trip of %v failed", l)
		}
	}
}

func TestNormalizeValue(t *testing.T) {
	tests := []struct {
		kind dragnet.ValueKind
		in   string
		want dragnet.Value
	}{
		{dragnet.ValueIPv4, "198.51.100.7", dragnet.Value{Kind: dragnet.ValueIPv4, Value: "198.51.100.7"}},
		{dragnet.ValueIPv4, "198.51.100.7/32", dragnet.Value{Kind: dragnet.ValueIPv4, Value: "198.51.100.7"}},
		{dragnet.ValueIPv4, "198.51.100.7/24", dragnet.Value{Kind: dragnet.ValueCIDR, Value: "198.51.100.0/24"}},
		{dragnet.ValueIPv6, "2001:DB8::0:1", dragnet.Value{Kind: dragnet.ValueIPv6, Value: "2001:db8::1"}},
		{dragnet.ValueIPv6, "::ffff:192.0.2.1", dragnet.Value{Kind: dragnet.ValueIPv4, Value: "192.0.2.1"}},
		{dragnet.ValueDomain, "Evil.Example.COM.", dragnet.Value{Kind: dragnet.ValueDomain, Value: "evil.example.com"}},
		{dragnet.ValueURL, "HTTP://Evil.Example:80/a/B?x=1#frag", dragnet.Value{Kind: dragnet.ValueURL, Value: "http://evil.example/a/B?x=1"}},
		{dragnet.ValueURL, "https://evil.example:8443/", dragnet.Value{Kind: dragnet.ValueURL, Value: "https://evil.example:8443/"}},
		{dragnet.ValueEmail, "Boss@Example.ORG", dragnet.Value{Kind: dragnet.ValueEmail, Value: "boss@example.org"}},
		{dragnet.ValueSHA256, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", dragnet.Value{Kind: dragnet.ValueSHA256, Value: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}},
	}
	for _, tt := range tests {
		got, err := dragnet.NormalizeValue(tt.kind, tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeValue(%s, %q) = %v, %v; want %v", tt.kind, tt.in, got, err, tt.want)
		}
	}
	bad := []struct {
		kind dragnet.ValueKind
		in   string
	}{
		{dragnet.ValueIPv4, "300.1.1.1"}, {dragnet.ValueDomain, "localhost"}, {dragnet.ValueDomain, "-a.example"},
		{dragnet.ValueURL, "/relative"}, {dragnet.ValueEmail, "nobody"}, {dragnet.ValueMD5, "abc"},
		{dragnet.ValueSHA1, "zz00000000000000000000000000000000000000"}, {"nonsense", "x"},
	}
	for _, tt := range bad {
		if _, err := dragnet.NormalizeValue(tt.kind, tt.in); dragnet.ErrorCode(err) != dragnet.EINVALID {
			t.Errorf("NormalizeValue(%s, %q) error = %v; want EINVALID", tt.kind, tt.in, err)
		}
	}
}

func TestOrgValidate(t *testing.T) {
	o := &dragnet.Org{Name: "BKA Cybercrime", Country: "de", Kind: dragnet.KindLawEnforcement}
	if err := o.Validate(); err != nil || o.Country != "DE" {
		t.Fatalf("Validate = %v, country %q", err, o.Country)
	}
	for _, o := range []*dragnet.Org{
		{Name: "", Country: "DE"},
		{Name: "a,b", Country: "DE"},
		{Name: "x", Country: "XX"},
		{Name: "x", Country: "DEU"},
		{Name: "x", Country: "DE", Kind: "spy"},
	} {
		if err := o.Validate(); dragnet.ErrorCode(err) != dragnet.EINVALID {
			t.Errorf("Validate(%+v) = %v; want EINVALID", o, err)
		}
	}
}

func TestAccessCanSee(t *testing.T) {
	a := &dragnet.Access{Audiences: []int64{1, 4, 9, 12}}
	for _, id := range []int64{1, 4, 9, 12} {
		if !a.CanSee(id) {
			t.Errorf("CanSee(%d) = false", id)
		}
	}
	for _, id := range []int64{0, 2, 10, 13} {
		if a.CanSee(id) {
			t.Errorf("CanSee(%d) = true", id)
		}
	}
	var none *dragnet.Access
	if none.CanSee(1) {
		t.Error("nil Access sees something")
	}
}

func TestTokens(t *testing.T) {
	s1, h1 := dragnet.NewTokenSecret()
	s2, _ := dragnet.NewTokenSecret()
	if s1 == s2 || len(s1) < 40 {
		t.Fatalf("weak secrets %q %q", s1, s2)
	}
	if !dragnet.TokenMatches(s1, h1) || dragnet.TokenMatches(s2, h1) {
		t.Fatal("TokenMatches wrong")
	}
}

func TestValueKindSTIXNames(t *testing.T) {
	for _, c := range []struct {
		v         dragnet.Value
		typ, algo string
		bytes     int
	}{
		{dragnet.Value{dragnet.ValueIPv4, "198.51.100.1"}, "ipv4-addr", "", 0},
		{dragnet.Value{dragnet.ValueCIDR, "198.51.100.0/24"}, "ipv4-addr", "", 0},
		{dragnet.Value{dragnet.ValueCIDR, "2001:db8::/32"}, "ipv6-addr", "", 0},
		{dragnet.Value{dragnet.ValueIPv6, "2001:db8::1"}, "ipv6-addr", "", 0},
		{dragnet.Value{dragnet.ValueDomain, "example.com"}, "domain-name", "", 0},
		{dragnet.Value{dragnet.ValueURL, "http://example.com/"}, "url", "", 0},
		{dragnet.Value{dragnet.ValueEmail, "a@example.com"}, "email-addr", "", 0},
		{dragnet.Value{dragnet.ValueMD5, ""}, "file", "MD5", 16},
		{dragnet.Value{dragnet.ValueSHA1, ""}, "file", "SHA-1", 20},
		{dragnet.Value{dragnet.ValueSHA256, ""}, "file", "SHA-256", 32},
		{dragnet.Value{dragnet.ValueSHA512, ""}, "file", "SHA-512", 64},
		{dragnet.Value{"ssdeep", ""}, "", "", 0},
	} {
		if got := c.v.SCOType(); got != c.typ {
			t.Errorf("%v: SCOType %q, want %q", c.v, got, c.typ)
		}
		if got := c.v.Kind.HashAlgorithm(); got != c.algo {
			t.Errorf("%v: HashAlgorithm %q, want %q", c.v, got, c.algo)
		}
		if got := c.v.Kind.HashBytes(); got != c.bytes {
			t.Errorf("%v: HashBytes %d, want %d", c.v, got, c.bytes)
		}
	}
}

func TestChooseHolding(t *testing.T) {
	acc := &dragnet.Access{Audiences: []int64{1, 5, 7}}
	const me, target = 10, 7
	for _, c := range []struct {
		name string
		hs   []dragnet.Holding
		want int
	}{
		{"none", nil, -1},
		{"only out of sight", []dragnet.Holding{{1, 20, 9}, {2, 21, 0}}, -1},
		{"in the target wins", []dragnet.Holding{{1, 10, 5}, {2, 20, 5}, {3, 21, 7}}, 2},
		{"own before visible", []dragnet.Holding{{1, 20, 5}, {2, 10, 9}}, 1},
		{"own without publication", []dragnet.Holding{{1, 10, 0}}, 0},
		{"first visible", []dragnet.Holding{{1, 20, 9}, {2, 21, 5}, {3, 22, 1}}, 1},
	} {
		if got := dragnet.ChooseHolding(c.hs, target, me, acc); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}
