package warninglist

import (
	sharedtestdata "github.com/dragnet-intel/dragnet/internal/testdata"
	"strings"
	"testing"

	"github.com/dragnet-intel/dragnet"
)

var testdata = sharedtestdata.Join("misp-warninglists")

func v(k dragnet.ValueKind, s string) dragnet.Value {
	x, err := dragnet.NormalizeValue(k, s)
	if err != nil {
		panic(err)
	}
	return x
}

func TestRealLists(t *testing.T) {
	s, err := Load(testdata)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.Lists()); n != 28 {
		t.Fatalf("%d lists, want 28", n)
	}
	tests := []struct {
		v    dragnet.Value
		want string // list name, "" for none
	}{
		{v(dragnet.ValueIPv4, "8.8.8.8"), "List of known IPv4 public DNS resolvers"},
		{v(dragnet.ValueIPv4, "10.1.2.3"), "List of RFC 1918 CIDR blocks"},
		{v(dragnet.ValueCIDR, "192.168.10.0/24"), "List of RFC 1918 CIDR blocks"},
		{v(dragnet.ValueIPv6, "fe80::1"), "List of IPv6 link local blocks"},
		{v(dragnet.ValueIPv4, "198.51.100.77"), "List of RFC 5735 CIDR blocks"},
		{v(dragnet.ValueIPv4, "185.220.101.1"), ""},
		{v(dragnet.ValueDomain, "www.google.com"), "Top 1000 website from Alexa"},
		{v(dragnet.ValueURL, "https://maps.google.com/x"), "Top 1000 website from Alexa"},
		{v(dragnet.ValueDomain, "example.net"), "List of RFC 6761 Special-Use Domain Names"},
		{v(dragnet.ValueDomain, "a.example.net"), ""},
		{v(dragnet.ValueDomain, "x9z-malware-c2.top"), ""},
		{v(dragnet.ValueEmail, "someone@mailinator.com"), "List of disposable email domains"},
		{v(dragnet.ValueEmail, "abuse@evil.example"), "Common contact e-mail addresses"},
		{v(dragnet.ValueMD5, "d41d8cd98f00b204e9800998ecf8427e"), "List of known hashes with common false-positives (based on Florian Roth input list)"},
		{v(dragnet.ValueSHA256, "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"), "List of hashes for EICAR test virus"},
		{v(dragnet.ValueSHA256, strings.Repeat("ab", 32)), ""},
	}
	for _, tt := range tests {
		got, ok := s.Check(tt.v)
		if ok != (tt.want != "") || (ok && !strings.EqualFold(got, tt.want)) {
			// Names come from the upstream files; show them on mismatch.
			t.Errorf("Check(%v) = %q, %v; want %q", tt.v, got, ok, tt.want)
		}
		if s.Suppressed(tt.v) != ok {
			t.Errorf("Suppressed(%v) differs from Check", tt.v)
		}
	}
	if n := len(s.Values()); n < 100000 {
		t.Errorf("Values() = %d values, want the cidr, string and hostname entries", n)
	}
}

func TestTypes(t *testing.T) {
	s, err := NewSet(
		&List{Name: "sub", Type: "substring", MatchingAttributes: []string{"domain"}, Entries: []string{"bad", "evil.ex"}},
		&List{Name: "re", Type: "regex", MatchingAttributes: []string{"email-src"}, Entries: []string{`/^(noc|soc)@/i`}},
		&List{Name: "host", Type: "hostname", MatchingAttributes: []string{"domain", "url"}, Entries: []string{"Example.ORG."}},
		&List{Name: "str", Type: "string", MatchingAttributes: []string{"domain"}, Entries: []string{"exact.example"}},
		&List{Name: "net", Type: "cidr", MatchingAttributes: []string{"ip-dst"}, Entries: []string{"203.0.113.0/24", "2001:db8::1"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		v    dragnet.Value
		want string
	}{
		{v(dragnet.ValueDomain, "a.verybad.example"), "sub"},
		{v(dragnet.ValueDomain, "xevil.example"), "sub"},
		{v(dragnet.ValueDomain, "good.example"), ""},
		{v(dragnet.ValueEmail, "SOC@x.example"), "re"},
		{v(dragnet.ValueEmail, "bob@x.example"), ""},
		{v(dragnet.ValueDomain, "a.b.example.org"), "host"},
		{v(dragnet.ValueDomain, "notexample.org"), ""},
		{v(dragnet.ValueURL, "http://www.example.org/path"), "host"},
		{v(dragnet.ValueDomain, "exact.example"), "str"},
		{v(dragnet.ValueDomain, "a.exact.example"), ""},
		{v(dragnet.ValueIPv4, "203.0.113.9"), "net"},
		{v(dragnet.ValueCIDR, "203.0.113.128/25"), "net"},
		{v(dragnet.ValueCIDR, "203.0.0.0/16"), ""},
		{v(dragnet.ValueIPv6, "2001:db8::1"), "net"},
		{v(dragnet.ValueIPv6, "2001:db8::2"), ""},
	}
	for _, tt := range tests {
		got, _ := s.Check(tt.v)
		if got != tt.want {
			t.Errorf("Check(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestBadLists(t *testing.T) {
	for _, in := range []string{`{"name":"x","type":"bogus","list":[]}`, `{"type":"cidr"}`, `not json`} {
		if _, err := Parse(strings.NewReader(in)); err == nil {
			t.Errorf("Parse(%s) accepted", in)
		}
	}
	if _, err := NewSet(&List{Name: "x", Type: "cidr", Entries: []string{"300.1.1.1/8"}}); err == nil || !strings.Contains(err.Error(), `"300.1.1.1/8"`) {
		t.Errorf("bad prefix: %v", err)
	}
	if _, err := NewSet(&List{Name: "x", Type: "regex", Entries: []string{"/(/"}}); err == nil {
		t.Error("bad regex accepted")
	}
}

func BenchmarkCheckDomain(b *testing.B) {
	s, err := Load(testdata)
	if err != nil {
		b.Fatal(err)
	}
	d := v(dragnet.ValueDomain, "a1b2c3.malware-c2.example")
	for b.Loop() {
		s.Check(d)
	}
}
