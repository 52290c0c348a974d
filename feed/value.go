package feed

import (
	"net/netip"
	"strings"

	"github.com/dragnet-intel/dragnet"
)

// refang undoes the usual ways of defanging an indicator so that it cannot
// be clicked: hxxp and hXXp for http, fxp for ftp, [.] (.) {.} [dot] for a
// dot, [:] for a colon, [@] [at] for an at sign, and [/] for a slash.
var refang = strings.NewReplacer(
	"hxxps://", "https://", "hXXps://", "https://", "hxxp://", "http://", "hXXp://", "http://",
	"HXXPS://", "https://", "HXXP://", "http://", "fxp://", "ftp://", "hxxps[:]//", "https://",
	"hxxp[:]//", "http://", "[.]", ".", "(.)", ".", "{.}", ".", "[dot]", ".", "(dot)", ".",
	"[:]", ":", "[@]", "@", "[at]", "@", "(at)", "@", "[/]", "/", "[://]", "://",
)

// Refang returns s with defanging undone (see refang).
func Refang(s string) string {
	if strings.IndexAny(s, "[({xX") < 0 {
		return s
	}
	s = refang.Replace(s)
	if len(s) > 4 && (s[0] == 'h' || s[0] == 'H') && (s[1] == 'x' || s[1] == 'X') && (s[2] == 'x' || s[2] == 'X') {
		if i := strings.Index(s, "://"); i == 4 || i == 5 {
			s = "http" + strings.ToLower(s[4:i]) + s[i:]
		}
	}
	return s
}

// Classify recognises one token as an observable value: an IP address or
// prefix, a URL (with a scheme), an e-mail address, an MD5/SHA-1/SHA-256/
// SHA-512 hash, or a domain name. Defanged forms are accepted. An address
// followed by a port ("192.0.2.1:443") yields the address. It reports false
// for anything else.
func Classify(tok string) (dragnet.Value, bool) {
	tok = strings.TrimSpace(Refang(tok))
	if tok == "" {
		return dragnet.Value{}, false
	}
	if strings.Contains(tok, "://") {
		v, err := dragnet.NormalizeValue(dragnet.ValueURL, tok)
		return v, err == nil
	}
	if isHex(tok) {
		k := map[int]dragnet.ValueKind{32: dragnet.ValueMD5, 40: dragnet.ValueSHA1, 64: dragnet.ValueSHA256, 128: dragnet.ValueSHA512}[len(tok)]
		if k != "" {
			return dragnet.Value{Kind: k, Value: strings.ToLower(tok)}, true
		}
	}
	c := tok[0]
	if c >= '0' && c <= '9' || strings.IndexByte(tok, ':') >= 0 {
		if v, ok := classifyIP(tok); ok {
			return v, true
		}
	}
	if strings.IndexByte(tok, '@') > 0 {
		v, err := dragnet.NormalizeValue(dragnet.ValueEmail, tok)
		if err == nil && strings.IndexByte(v.Value[strings.LastIndexByte(v.Value, '@')+1:], '.') > 0 {
			return v, true
		}
		return dragnet.Value{}, false
	}
	if strings.IndexByte(tok, '.') > 0 && !allDigitsAndDots(tok) {
		v, err := dragnet.NormalizeValue(dragnet.ValueDomain, tok)
		if err == nil && hasLetterTLD(v.Value) {
			return v, true
		}
	}
	return dragnet.Value{}, false
}

func classifyIP(tok string) (dragnet.Value, bool) {
	if strings.IndexByte(tok, '/') >= 0 {
		v, err := dragnet.NormalizeValue(dragnet.ValueCIDR, tok)
		return v, err == nil
	}
	if a, err := netip.ParseAddr(tok); err == nil {
		v, err := dragnet.NormalizeValue(dragnet.ValueIPv4, a.String())
		return v, err == nil
	}
	if ap, err := netip.ParseAddrPort(tok); err == nil {
		v, err := dragnet.NormalizeValue(dragnet.ValueIPv4, ap.Addr().String())
		return v, err == nil
	}
	return dragnet.Value{}, false
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func allDigitsAndDots(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '.' && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

// hasLetterTLD rejects things like "1.5" or "file.1": a domain's last label
// must not be all digits.
func hasLetterTLD(d string) bool {
	tld := d[strings.LastIndexByte(d, '.')+1:]
	for i := 0; i < len(tld); i++ {
		if tld[i] < '0' || tld[i] > '9' {
			return true
		}
	}
	return false
}

// ParseKind maps the type names feeds use ("ip", "ip-dst", "domain",
// "hostname", "url", "sha256", "email", ...) to a value kind; "" when it
// does not know the name.
func ParseKind(s string) dragnet.ValueKind {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "ip", "ipv4", "ip-dst", "ip-src", "ipv4-addr", "dst_ip", "ip address", "ipaddress":
		return dragnet.ValueIPv4
	case "ipv6", "ipv6-addr":
		return dragnet.ValueIPv6
	case "cidr", "prefix", "netblock", "network":
		return dragnet.ValueCIDR
	case "domain", "hostname", "fqdn", "domain-name", "host":
		return dragnet.ValueDomain
	case "url", "uri", "link":
		return dragnet.ValueURL
	case "email", "email-addr", "email-src", "email-dst", "e-mail":
		return dragnet.ValueEmail
	case "md5":
		return dragnet.ValueMD5
	case "sha1", "sha-1":
		return dragnet.ValueSHA1
	case "sha256", "sha-256":
		return dragnet.ValueSHA256
	case "sha512", "sha-512":
		return dragnet.ValueSHA512
	}
	return ""
}

// Normalize parses tok (defanged or not) as a value of kind k. For the IP
// kinds the result's kind follows the address (ipv4, ipv6 or cidr).
func Normalize(k dragnet.ValueKind, tok string) (dragnet.Value, error) {
	tok = strings.TrimSpace(Refang(tok))
	if k == dragnet.ValueIPv4 || k == dragnet.ValueIPv6 || k == dragnet.ValueCIDR {
		if v, ok := classifyIP(tok); ok {
			return v, nil
		}
	}
	return dragnet.NormalizeValue(k, tok)
}
