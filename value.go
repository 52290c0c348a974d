package dragnet

import (
	"encoding/hex"
	"net/netip"
	"net/url"
	"strings"
)

// ValueKind names the sort of an observable value in the value index.
type ValueKind string

const (
	ValueIPv4   ValueKind = "ipv4"   // one IPv4 address
	ValueIPv6   ValueKind = "ipv6"   // one IPv6 address
	ValueCIDR   ValueKind = "cidr"   // an IPv4 or IPv6 prefix shorter than a host
	ValueDomain ValueKind = "domain" // a DNS name
	ValueURL    ValueKind = "url"
	ValueEmail  ValueKind = "email"
	ValueMD5    ValueKind = "md5"
	ValueSHA1   ValueKind = "sha1"
	ValueSHA256 ValueKind = "sha256"
	ValueSHA512 ValueKind = "sha512"
)

// Value is a normalised observable value: the same indicator written in
// different ways by different members has one Value.
type Value struct {
	Kind  ValueKind
	Value string
}

func (v Value) String() string { return string(v.Kind) + ":" + v.Value }

// HashBytes is the length in bytes of a hash of kind k (16 for MD5, 20 for
// SHA-1, 32 for SHA-256, 64 for SHA-512), 0 for a kind that is no hash.
func (k ValueKind) HashBytes() int {
	switch k {
	case ValueMD5:
		return 16
	case ValueSHA1:
		return 20
	case ValueSHA256:
		return 32
	case ValueSHA512:
		return 64
	}
	return 0
}

// HashAlgorithm is the STIX name (hashing-algorithm-ov) of a hash of kind
// k, "" for a kind that is no hash.
func (k ValueKind) HashAlgorithm() string {
	switch k {
	case ValueMD5:
		return "MD5"
	case ValueSHA1:
		return "SHA-1"
	case ValueSHA256:
		return "SHA-256"
	case ValueSHA512:
		return "SHA-512"
	}
	return ""
}

// SCOType is the type of the STIX cyber-observable object that holds v:
// ipv4-addr or ipv6-addr (a CIDR by its address family), domain-name,
// url, email-addr, or file for a hash; "" for an unknown kind.
func (v Value) SCOType() string {
	switch v.Kind {
	case ValueIPv4:
		return "ipv4-addr"
	case ValueIPv6:
		return "ipv6-addr"
	case ValueCIDR:
		if strings.Contains(v.Value, ":") {
			return "ipv6-addr"
		}
		return "ipv4-addr"
	case ValueDomain:
		return "domain-name"
	case ValueURL:
		return "url"
	case ValueEmail:
		return "email-addr"
	}
	if v.Kind.HashBytes() != 0 {
		return "file"
	}
	return ""
}

// NormalizeValue returns the canonical form of s as a value of kind k:
// addresses in netip's canonical text (a /32 or /128 prefix becomes a host
// address, other prefixes are masked), lower-case domains without a
// trailing dot, URLs with lower-case scheme and host and without a default
// port, lower-case e-mail addresses and hex hashes. Errors are EINVALID and
// say what is wrong.
func NormalizeValue(k ValueKind, s string) (Value, error) {
	s = strings.TrimSpace(s)
	switch k {
	case ValueIPv4, ValueIPv6, ValueCIDR:
		return normalizeIP(s)
	case ValueDomain:
		d := strings.TrimSuffix(strings.ToLower(s), ".")
		if !validDomain(d) {
			return Value{}, Errorf(EINVALID, "%q is not a domain name", s)
		}
		return Value{ValueDomain, d}, nil
	case ValueURL:
		return normalizeURL(s)
	case ValueEmail:
		at := strings.LastIndexByte(s, '@')
		if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, " \t<>") {
			return Value{}, Errorf(EINVALID, "%q is not an e-mail address", s)
		}
		return Value{ValueEmail, strings.ToLower(s)}, nil
	case ValueMD5, ValueSHA1, ValueSHA256, ValueSHA512:
		n := 2 * k.HashBytes()
		h := strings.ToLower(s)
		if len(h) != n {
			return Value{}, Errorf(EINVALID, "%s hash %q has %d hex digits, want %d", k, s, len(h), n)
		}
		if _, err := hex.DecodeString(h); err != nil {
			return Value{}, Errorf(EINVALID, "%s hash %q is not hexadecimal", k, s)
		}
		return Value{k, h}, nil
	}
	return Value{}, Errorf(EINVALID, "unknown value kind %q", k)
}

func normalizeIP(s string) (Value, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return Value{}, Errorf(EINVALID, "%q is not an IP prefix: %v", s, err)
		}
		p = p.Masked()
		if p.Bits() == p.Addr().BitLen() {
			return hostValue(p.Addr()), nil
		}
		return Value{ValueCIDR, p.String()}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return Value{}, Errorf(EINVALID, "%q is not an IP address", s)
	}
	return hostValue(a), nil
}

func hostValue(a netip.Addr) Value {
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return Value{ValueIPv4, a.String()}
	}
	return Value{ValueIPv6, a.String()}
}

func normalizeURL(s string) (Value, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return Value{}, Errorf(EINVALID, "%q is not an absolute URL", s)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	u.Host = host
	u.Fragment = ""
	return Value{ValueURL, u.String()}, nil
}

// validDomain accepts LDH labels (and underscores, which occur in real
// malware domains), 1..63 bytes each, 253 in all, at least two labels.
func validDomain(d string) bool {
	if len(d) == 0 || len(d) > 253 {
		return false
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c >= 0x80) {
				return false
			}
		}
	}
	return true
}
