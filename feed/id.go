package feed

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/dragnet-intel/dragnet/stix"
)

// Namespace is the UUID namespace of Dragnet's deterministic ids (UUIDv5,
// RFC 9562 section 5.5).
const Namespace = "1c7e3b52-9a4d-4f0e-8a36-6d2b0f4e9c81"

// scoNamespace is the namespace STIX 2.1 section 2.9 fixes for the
// deterministic ids of cyber-observable objects.
const scoNamespace = "00abedb4-aa42-466c-9c01-fed23315a9b7"

// Parsed forms of the two namespaces ids are made in (constants: never
// written after start).
var (
	namespaceBytes    = parseUUID(Namespace)
	scoNamespaceBytes = parseUUID(scoNamespace)
)

func parseUUID(ns string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(ns, "-", ""))
	if err != nil || len(b) != 16 {
		panic("feed: bad UUID namespace " + ns)
	}
	return b
}

// UUID5 returns the version 5 UUID of name in namespace ns (a UUID in its
// text form; it panics on a malformed namespace, which is a programming
// error).
func UUID5(ns string, name string) string {
	return uuid5(parseUUID(ns), name)
}

// uuid5 is UUID5 of the concatenation of parts, without making it.
func uuid5(nsb []byte, parts ...string) string {
	var name [256]byte
	in := append(name[:0], nsb...)
	for _, p := range parts {
		in = append(in, p...)
	}
	sum := sha1.Sum(in)
	var u [16]byte
	copy(u[:], sum[:16])
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	var buf [36]byte
	hex.Encode(buf[0:8], u[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], u[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], u[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], u[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:], u[10:])
	return string(buf[:])
}

// SCOID returns the deterministic id of a cyber-observable object of type
// typ with properties props (STIX 2.1 section 2.9, as stix.SCOID computes
// it from the type's id-contributing properties). For a type stix does not
// know, or props without contributing properties, it falls back to the
// UUIDv5 of all of props.
func SCOID(typ string, props map[string]any) string {
	if id, err := stix.SCOID(typ, props); err == nil {
		return id
	}
	return typ + "--" + uuid5(scoNamespaceBytes, canonicalJSON(props))
}

// canonicalJSON prints v as RFC 8785 does for the values SCO id
// properties hold (strings, nested objects with string keys, integers):
// keys sorted, no insignificant space, no HTML escaping.
func canonicalJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // maps of strings and numbers always encode
	return strings.TrimSuffix(b.String(), "\n")
}
