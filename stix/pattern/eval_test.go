package pattern

import "testing"

func TestLike(t *testing.T) {
	tests := []struct {
		s, pat string
		want   bool
	}{
		{"", "", true},
		{"", "%", true},
		{"", "_", false},
		{"a", "", false},
		{"abc", "abc", true},
		{"abc", "a%", true},
		{"abc", "%c", true},
		{"abc", "%b%", true},
		{"abc", "a%c%", true},
		{"abc", "a%d", false},
		{"abcbc", "a%bc", true},
		{"aXbXc", "a%b%c", true},
		{"abc", "___", true},
		{"abc", "__", false},
		{"abc", "____", false},
		{"héllo", "h_llo", true}, // _ is one character, not one byte
		{"héllo", "h__llo", false},
		{"a%c", "a%c", true},
		{"mississippi", "%iss%ppi", true},
		{"mississippi", "%iss%ppa", false},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "%a%a%a%a%a%a%a%c", false},
	}
	for _, tc := range tests {
		if got := like(tc.s, tc.pat); got != tc.want {
			t.Errorf("like(%q, %q) = %v, want %v", tc.s, tc.pat, got, tc.want)
		}
	}
}

func TestParsePrefix(t *testing.T) {
	tests := []struct{ in, want string }{
		{"198.51.100.7", "198.51.100.7/32"},
		{"198.51.100.7/24", "198.51.100.0/24"},
		{"::ffff:198.51.100.7", "198.51.100.7/32"},
		{"::ffff:198.51.100.0/120", "198.51.100.0/24"},
		{"2001:DB8::1/64", "2001:db8::/64"},
		{"fe80::1%eth0", "fe80::1/128"},
	}
	for _, tc := range tests {
		p, err := parsePrefix(tc.in)
		if err != nil || p.String() != tc.want {
			t.Errorf("parsePrefix(%q) = %v, %v; want %s", tc.in, p, err, tc.want)
		}
	}
	for _, bad := range []string{"", "x", "1.2.3.4/33", "1.2.3"} {
		if _, err := parsePrefix(bad); err == nil {
			t.Errorf("parsePrefix(%q) succeeded", bad)
		}
	}
}
