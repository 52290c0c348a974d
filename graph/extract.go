package graph

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/internal/jsonscan"
	"github.com/dragnet-intel/dragnet/stix"
)

// Value kinds the graph indexes beyond dragnet's: persona values that link
// actors across cases.
const (
	ValueWallet  dragnet.ValueKind = "wallet"  // x-crypto-wallet address
	ValueAccount dragnet.ValueKind = "account" // user-account: "type/login"
	ValuePhone   dragnet.ValueKind = "phone"   // x-phone-number, digits with a leading +
)

// extracted is what the builder reads of one object.
type extracted struct {
	id, typ     string
	refs        []ref
	rel         struct{ src, dst, typ string }
	conf        uint8
	values      []dragnet.Value
	first, last int64
	name        string // what to call it: a name, a location's country, an SCO's value
}

type ref struct{ prop, to string }

// extract reads the id, type, references, relationship ends, confidence,
// observable values and time range of one STIX object. It walks the JSON
// text (internal/jsonscan) rather than decoding it: a graph build reads
// every object in the store. A member given twice counts as its last, as
// a decoder reads it.
func extract(raw []byte) (*extracted, error) {
	top, err := members(jsonscan.Raw(string(raw)))
	if err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	str := func(k string) string { s, _ := top.get(k).String(); return s }
	x := &extracted{conf: confAbsent}
	x.id, x.typ = str("id"), str("type")
	if x.typ == "" || typeOfID(x.id) != x.typ {
		return nil, fmt.Errorf("id %q does not name an object of type %q", x.id, x.typ)
	}
	if c, ok := top.get("confidence").Number(); ok && c >= 0 && c <= 100 {
		x.conf = uint8(c)
	}
	if x.typ == "relationship" {
		x.rel.src, x.rel.dst, x.rel.typ = str("source_ref"), str("target_ref"), str("relationship_type")
		if x.rel.typ == "" {
			x.rel.typ = "related-to"
		}
	}
	for _, m := range top {
		if x.typ == "relationship" && (m.key == "source_ref" || m.key == "target_ref") {
			continue
		}
		x.walk(m.key, m.v, 0)
	}
	x.times(str)
	x.values = objectValues(x.typ, str, top.get("hashes"))
	x.name = objectName(x.typ, str)
	return x, nil
}

// member is one member of a JSON object.
type member struct {
	key string
	v   jsonscan.Value
}

// memberList is an object's members, each key once (its last value).
type memberList []member

// members lists the members of the object v.
func members(v jsonscan.Value) (memberList, error) {
	var ms memberList
	err := v.Members(func(k string, v jsonscan.Value) error {
		for i := range ms {
			if ms[i].key == k {
				ms[i].v = v
				return nil
			}
		}
		ms = append(ms, member{k, v})
		return nil
	})
	return ms, err
}

// get returns the member named k (an empty Value when there is none).
func (ms memberList) get(k string) jsonscan.Value {
	for _, m := range ms {
		if m.key == k {
			return m.v
		}
	}
	return jsonscan.Value{}
}

// walk collects *_ref and *_refs properties at any depth (extensions,
// granular markings, embedded objects).
func (x *extracted) walk(key string, v jsonscan.Value, depth int) {
	if depth > 8 {
		return
	}
	switch v.Kind() {
	case '"':
		if s, _ := v.String(); strings.HasSuffix(key, "_ref") && strings.Contains(s, "--") {
			x.refs = append(x.refs, ref{key, s})
		}
	case '[':
		_ = v.Elements(func(e jsonscan.Value) error {
			if s, ok := e.String(); ok {
				if strings.HasSuffix(key, "_refs") && strings.Contains(s, "--") {
					x.refs = append(x.refs, ref{key, s})
				}
				return nil
			}
			x.walk(key, e, depth+1)
			return nil
		})
	case '{':
		ms, _ := members(v)
		for _, m := range ms {
			x.walk(m.key, m.v, depth+1)
		}
	}
}

// times sets the time range the object speaks of: when it was seen, else
// when it was made.
func (x *extracted) times(str func(string) string) {
	pairs := [][2]string{{"first_seen", "last_seen"}, {"first_observed", "last_observed"}, {"valid_from", "modified"}, {"created", "modified"}}
	for _, p := range pairs {
		f := timeProp(str(p[0]))
		if f == 0 {
			continue
		}
		x.first = f
		x.last = timeProp(str(p[1]))
		if x.last < x.first {
			x.last = x.first
		}
		return
	}
}

func timeProp(s string) int64 {
	if s == "" {
		return 0
	}
	t, err := stix.ParseTimestamp(s)
	if err != nil {
		return 0
	}
	return t.Unix()
}

// objectValues returns the normalised observable values an object carries:
// an SCO's own value, or the values compared for equality in an
// indicator's STIX pattern.
func objectValues(typ string, str func(string) string, hashes jsonscan.Value) []dragnet.Value {
	var out []dragnet.Value
	add := func(k dragnet.ValueKind, s string) {
		if s == "" {
			return
		}
		if v, err := NormalizeValue(k, s); err == nil {
			out = append(out, v)
		}
	}
	switch typ {
	case "ipv4-addr":
		add(dragnet.ValueIPv4, str("value"))
	case "ipv6-addr":
		add(dragnet.ValueIPv6, str("value"))
	case "domain-name":
		add(dragnet.ValueDomain, str("value"))
	case "url":
		add(dragnet.ValueURL, str("value"))
	case "email-addr":
		add(dragnet.ValueEmail, str("value"))
	case "x-crypto-wallet":
		add(ValueWallet, str("address"))
	case "x-phone-number":
		add(ValuePhone, str("value"))
	case "user-account":
		login := str("account_login")
		if login == "" {
			login = str("user_id")
		}
		if login != "" {
			add(ValueAccount, str("account_type")+"/"+login)
		}
	case "file", "artifact", "x509-certificate":
		if h, err := members(hashes); err == nil {
			for name, kind := range hashKinds {
				if s, ok := h.get(name).String(); ok {
					add(kind, s)
				}
			}
		}
	case "indicator":
		for _, pv := range patternValues(str("pattern")) {
			add(pv.Kind, pv.Value)
		}
	}
	return out
}

var hashKinds = map[string]dragnet.ValueKind{
	"MD5": dragnet.ValueMD5, "SHA-1": dragnet.ValueSHA1, "SHA-256": dragnet.ValueSHA256, "SHA-512": dragnet.ValueSHA512,
}

// NormalizeValue normalises a value of one of dragnet's kinds or of the
// graph's persona kinds (wallet, account, phone).
func NormalizeValue(k dragnet.ValueKind, s string) (dragnet.Value, error) {
	switch k {
	case ValueWallet, ValueAccount:
		s = strings.TrimSpace(s)
		if s == "" || len(s) > 256 {
			return dragnet.Value{}, dragnet.Errorf(dragnet.EINVALID, "%s value %q is empty or too long", k, s)
		}
		if k == ValueAccount {
			s = strings.ToLower(s)
		}
		return dragnet.Value{Kind: k, Value: s}, nil
	case ValuePhone:
		var b strings.Builder
		for _, r := range s {
			if r >= '0' && r <= '9' {
				b.WriteRune(r)
			}
		}
		if b.Len() < 6 || b.Len() > 15 {
			return dragnet.Value{}, dragnet.Errorf(dragnet.EINVALID, "%q is not a phone number", s)
		}
		return dragnet.Value{Kind: k, Value: "+" + b.String()}, nil
	}
	return dragnet.NormalizeValue(k, s)
}

// comparison matches "object-type:property = 'literal'" in a STIX pattern.
var comparison = regexp.MustCompile(`([a-z0-9-]+):([A-Za-z0-9_.'\-]+)\s*=\s*'((?:[^'\\]|\\.)*)'`)

// patternValues returns the values an indicator's pattern compares for
// equality. It reads only what it needs and never fails: a pattern it
// cannot read yields no values.
func patternValues(p string) []dragnet.Value {
	var out []dragnet.Value
	for _, m := range comparison.FindAllStringSubmatch(p, 16) {
		obj, prop, lit := m[1], m[2], strings.ReplaceAll(m[3], `\'`, `'`)
		var k dragnet.ValueKind
		switch obj + ":" + prop {
		case "ipv4-addr:value":
			k = dragnet.ValueIPv4
		case "ipv6-addr:value":
			k = dragnet.ValueIPv6
		case "domain-name:value":
			k = dragnet.ValueDomain
		case "url:value":
			k = dragnet.ValueURL
		case "email-addr:value":
			k = dragnet.ValueEmail
		case "x-crypto-wallet:address":
			k = ValueWallet
		default:
			if obj == "file" && strings.HasPrefix(prop, "hashes.") {
				k = hashKinds[strings.Trim(strings.TrimPrefix(prop, "hashes."), "'")]
			}
		}
		if k != "" {
			out = append(out, dragnet.Value{Kind: k, Value: lit})
		}
	}
	return out
}

// objectName returns what to call an object in results: a location's
// country, else its name, else an observable's value or address.
func objectName(typ string, str func(string) string) string {
	keys := []string{"name", "value", "address", "account_login"}
	if typ == "location" {
		keys = []string{"country", "name"}
	}
	for _, k := range keys {
		if s := str(k); s != "" {
			if len(s) > 200 {
				s = s[:200]
			}
			return s
		}
	}
	return ""
}
