package graph

import "testing"

func TestParseStart(t *testing.T) {
	g := &Graph{}
	for _, c := range []struct{ in, want string }{
		{"indicator--00000000-0000-4000-8000-000000000001", "indicator--00000000-0000-4000-8000-000000000001"},
		{" 198.51.100.7 ", "ipv4:198.51.100.7"},
		{"2001:DB8::1", "ipv6:2001:db8::1"},
		{"a@b.example", "email:a@b.example"},
		{"Example.COM", "domain:example.com"},
		{"ipv4:198.51.100.7", "ipv4:198.51.100.7"},
		{"ipv6:2001:db8::1", "ipv6:2001:db8::1"},
		{"email:a@b.example", "email:a@b.example"},
		{"account:unix/root@b.example", "account:unix/root@b.example"},
		{"domain:example.com", "domain:example.com"},
		{"not a key", "not a key"},
	} {
		got := g.ParseStart(c.in)
		if got != c.want {
			t.Errorf("ParseStart(%q) = %q, want %q", c.in, got, c.want)
		}
		if again := g.ParseStart(got); again != got {
			t.Errorf("ParseStart(%q) = %q: not stable", got, again)
		}
	}
}
