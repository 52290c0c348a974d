package stix

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// SCONamespace is the UUIDv5 namespace of deterministic SCO identifiers
// (STIX 2.1 section 2.9).
var SCONamespace = [16]byte{0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7}

// idContributing lists, per SCO type, the properties from which its
// deterministic identifier is computed (STIX 2.1 sections 6.1–6.18, "ID
// Contributing Properties"). process has none: its ids are UUIDv4.
var idContributing = map[string][]string{
	"artifact":             {"hashes", "payload_bin"},
	"autonomous-system":    {"number"},
	"directory":            {"path"},
	"domain-name":          {"value"},
	"email-addr":           {"value"},
	"email-message":        {"from_ref", "subject", "body"},
	"file":                 {"hashes", "name", "extensions", "parent_directory_ref"},
	"ipv4-addr":            {"value"},
	"ipv6-addr":            {"value"},
	"mac-addr":             {"value"},
	"mutex":                {"name"},
	"network-traffic":      {"start", "end", "src_ref", "dst_ref", "src_port", "dst_port", "protocols", "extensions"},
	"process":              {},
	"software":             {"name", "cpe", "swid", "vendor", "version"},
	"url":                  {"value"},
	"user-account":         {"account_type", "user_id", "account_login"},
	"windows-registry-key": {"key", "values"},
	"x509-certificate":     {"hashes", "serial_number"},
}

// ErrNoContributingProperties is returned by SCOID when none of the type's
// ID contributing properties is given: the specification then requires a
// UUIDv4 (NewID).
var ErrNoContributingProperties = errors.New("no ID contributing property present")

// IDContributingProperties returns the names of the properties that make
// up a deterministic identifier of SCO type typ, and false for a type that
// is not a predefined SCO.
func IDContributingProperties(typ string) ([]string, bool) {
	p, ok := idContributing[typ]
	return append([]string(nil), p...), ok
}

// SCOID returns the deterministic identifier of a cyber-observable object
// of the predefined type typ with the properties props (STIX 2.1 section
// 2.9): "typ--" followed by the UUIDv5, in namespace SCONamespace, of the
// RFC 8785 (JCS) canonical JSON of the object holding only the type's ID
// contributing properties that props has. Of a hashes property only one
// hash contributes: MD5, else SHA-1, else SHA-256, else SHA-512, else the
// first algorithm name in byte order.
//
// props holds JSON values as Go values: string, bool, nil, float64, int
// kinds, json.Number, []any, map[string]any, or anything json.Marshal
// encodes. It returns ErrNoContributingProperties when props holds none of
// them, and an error for types that are not predefined SCOs.
func SCOID(typ string, props map[string]any) (string, error) {
	names, ok := idContributing[typ]
	if !ok {
		return "", fmt.Errorf("stix: %q is not a predefined cyber-observable type", typ)
	}
	contrib := map[string]any{}
	for _, n := range names {
		v, ok := props[n]
		if !ok || v == nil {
			continue
		}
		if n == "hashes" {
			h, err := chooseHash(v)
			if err != nil {
				return "", fmt.Errorf("stix: %s id: %w", typ, err)
			}
			v = h
		}
		contrib[n] = v
	}
	if len(contrib) == 0 {
		return "", ErrNoContributingProperties
	}
	canon, err := Canonicalize(contrib)
	if err != nil {
		return "", fmt.Errorf("stix: %s id: %w", typ, err)
	}
	return typ + "--" + uuidV5(SCONamespace, canon), nil
}

// chooseHash keeps one hash of a hashes dictionary (see SCOID).
func chooseHash(v any) (map[string]any, error) {
	h := map[string]any{}
	switch m := v.(type) {
	case map[string]any:
		h = m
	case map[string]string:
		for k, s := range m {
			h[k] = s
		}
	default:
		return nil, fmt.Errorf("hashes must be a dictionary, not %T", v)
	}
	if len(h) == 0 {
		return nil, errors.New("hashes is empty")
	}
	for _, k := range [...]string{"MD5", "SHA-1", "SHA-256", "SHA-512"} {
		if s, ok := h[k]; ok {
			return map[string]any{k: s}, nil
		}
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return map[string]any{keys[0]: h[keys[0]]}, nil
}

// IPv4AddrID is the deterministic id of the ipv4-addr with this value.
func IPv4AddrID(value string) string { return mustSCOID("ipv4-addr", value) }

// IPv6AddrID is the deterministic id of the ipv6-addr with this value.
func IPv6AddrID(value string) string { return mustSCOID("ipv6-addr", value) }

// DomainNameID is the deterministic id of the domain-name with this value.
func DomainNameID(value string) string { return mustSCOID("domain-name", value) }

// URLID is the deterministic id of the url with this value.
func URLID(value string) string { return mustSCOID("url", value) }

// EmailAddrID is the deterministic id of the email-addr with this value.
func EmailAddrID(value string) string { return mustSCOID("email-addr", value) }

// MACAddrID is the deterministic id of the mac-addr with this value.
func MACAddrID(value string) string { return mustSCOID("mac-addr", value) }

func mustSCOID(typ, value string) string {
	// A single string value always canonicalizes.
	id, err := SCOID(typ, map[string]any{"value": value})
	if err != nil {
		panic(err)
	}
	return id
}

// FileIDByHashes is the deterministic id of a file known only by its
// hashes (algorithm name → hex digest, e.g. "SHA-256"); it fails only for
// an empty map.
func FileIDByHashes(hashes map[string]string) (string, error) {
	return SCOID("file", map[string]any{"hashes": hashes})
}

// NewID returns a new identifier of type typ with a random (version 4)
// UUID, as SDOs, SROs, meta objects, bundles and SCOs without ID
// contributing properties use.
func NewID(typ string) string {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return typ + "--" + formatUUID(u)
}

func uuidV5(ns [16]byte, name []byte) string {
	h := sha1.New()
	h.Write(ns[:])
	h.Write(name)
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return formatUUID(u)
}

func formatUUID(u [16]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// Canonicalize returns the RFC 8785 JSON Canonicalization Scheme form of v:
// object members sorted by the UTF-16 code units of their names, no
// insignificant white space, strings with the minimal escapes, numbers in
// ECMAScript shortest form. v is a Go JSON value (see SCOID).
func Canonicalize(v any) ([]byte, error) {
	return appendCanonical(nil, v, 0)
}

func appendCanonical(b []byte, v any, depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, errors.New("value nested too deeply")
	}
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case string:
		return appendCanonicalString(b, v)
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return nil, fmt.Errorf("number %s: %w", v, err)
		}
		return appendCanonicalNumber(b, f)
	case float64:
		return appendCanonicalNumber(b, v)
	case float32:
		return appendCanonicalNumber(b, float64(v))
	case int:
		return appendCanonicalNumber(b, float64(v))
	case int64:
		return appendCanonicalNumber(b, float64(v))
	case int32:
		return appendCanonicalNumber(b, float64(v))
	case uint16:
		return appendCanonicalNumber(b, float64(v))
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendCanonical(b, e, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case []string:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendCanonicalString(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return lessUTF16(keys[i], keys[j]) })
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendCanonicalString(b, k); err != nil {
				return nil, err
			}
			b = append(b, ':')
			if b, err = appendCanonical(b, v[k], depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case map[string]string:
		m := make(map[string]any, len(v))
		for k, s := range v {
			m[k] = s
		}
		return appendCanonical(b, m, depth)
	}
	// Anything else: through encoding/json, then canonicalized.
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	parsed, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	return appendCanonical(b, parsed, depth)
}

// lessUTF16 orders strings by their UTF-16 code units (RFC 8785 3.2.3).
func lessUTF16(a, b string) bool {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			return ua[i] < ub[i]
		}
	}
	return len(ua) < len(ub)
}

func appendCanonicalString(b []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, errors.New("string is not valid UTF-8")
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			b = append(b, '\\', '"')
		case c == '\\':
			b = append(b, '\\', '\\')
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigit(c>>4), hexDigit(c&0xf))
		default:
			b = append(b, c)
		}
	}
	return append(b, '"'), nil
}

func hexDigit(n byte) byte { return "0123456789abcdef"[n] }

// appendCanonicalNumber prints f as ECMAScript's Number.prototype.toString
// does (RFC 8785 3.2.2.3).
func appendCanonicalNumber(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, errors.New("NaN and infinity are not JSON numbers")
	}
	if f == 0 {
		return append(b, '0'), nil
	}
	abs := math.Abs(f)
	if abs >= 1e-6 && abs < 1e21 {
		return strconv.AppendFloat(b, f, 'f', -1, 64), nil
	}
	s := strconv.FormatFloat(f, 'e', -1, 64)
	mant, exp, _ := strings.Cut(s, "e")
	sign := exp[0]
	exp = strings.TrimLeft(exp[1:], "0")
	b = append(b, mant...)
	b = append(b, 'e', sign)
	return append(b, exp...), nil
}
