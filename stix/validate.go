package stix

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Validate checks one object against the MUST rules of STIX 2.1 and, unless
// the object's type is one whose hand-written rules are authoritative (see
// SchemaChecked), against the official STIX 2.1 JSON schema for its type.
// It returns nil, or ValidationErrors naming the object id, the property
// path and the rule of each problem found (at most MaxErrors).
//
// What it checks, with the sections of the specification:
//   - the JSON itself: one object, no duplicate member names, valid UTF-8,
//     nesting of at most 64 levels;
//   - type names (3.1), identifiers type--UUID with the object's own type as
//     prefix and an RFC 4122 UUID (2.9), spec_version "2.1" (3.2);
//   - timestamps (2.15), created/modified to the millisecond and modified ≥
//     created (3.2), and each type's end-after-start rules;
//   - required properties and value types of every property of every type
//     (sections 4–8), lists not empty (2.12), hashes (2.7), dictionaries
//     (2.3), external references (2.5), kill-chain phases (2.11), granular
//     markings and their selectors (7.2.3);
//   - the target types of every *_ref and *_refs property the specification
//     defines (created_by_ref → identity, object_marking_refs →
//     marking-definition, relationship source/target → SDO or SCO, sighting
//     where_sighted_refs → identity or location, ...), and the identifier
//     form of every other *_ref/*_refs property;
//   - closed vocabularies (enumerations, 2.4 and section 10), ranges;
//   - custom property names ^[a-z][a-z0-9_]{2,249}$ (3.1, 11.1), reserved property
//     and type names, extensions (7.3, 11.3);
//   - the fixed TLP marking definitions (7.2.1.4): a marking definition of
//     TLP type must be one of them.
//
// References are checked by the type in the identifier; whether the target
// exists is the store's business. References to the fixed TLP marking
// definitions are valid without those objects being sent.
func Validate(o *Object) error {
	if o == nil {
		return ValidationErrors{{Rule: RuleJSON, Message: "no object"}}
	}
	return defaultValidator().Validate(o.Raw)
}

// ValidateJSON is Validate for an object not yet decoded.
func ValidateJSON(raw []byte) error {
	return defaultValidator().Validate(raw)
}

// checker collects the problems of one object.
type checker struct {
	id   string
	typ  string
	obj  map[string]any
	errs ValidationErrors
}

func (c *checker) add(path, rule, format string, args ...any) {
	if len(c.errs) >= MaxErrors {
		return
	}
	// Strings of the parsed object share the caller's bytes: clone what
	// the error keeps.
	c.errs = append(c.errs, &ValidationError{ObjectID: strings.Clone(c.id), Path: strings.Clone(path), Rule: rule, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) full() bool { return len(c.errs) >= MaxErrors }

func joinPath(base, name string) string {
	if base == "" {
		return name
	}
	return base + "." + name
}

// at is path, or its element idx when idx ≥ 0.
func at(path string, idx int) string {
	if idx < 0 {
		return path
	}
	return indexPath(path, idx)
}

func indexPath(base string, i int) string {
	return base + "[" + strconv.Itoa(i) + "]"
}

// checkRules applies the hand-written rules to a parsed object.
func (c *checker) checkRules() {
	obj := c.obj
	typ, ok := obj["type"].(string)
	if !ok {
		if _, present := obj["type"]; present {
			c.add("type", RuleValueType, "must be a string")
		} else {
			c.add("type", RuleRequired, "required property missing")
		}
		return
	}
	c.typ = typ
	if !validTypeName(typ) {
		c.add("type", RuleTypeName, "%q is not a valid type name (3–250 characters a–z, 0–9 and single hyphens, starting with a letter)", typ)
		return
	}
	if typ == "action" {
		c.add("type", RuleReserved, "type name %q is reserved", typ)
		return
	}
	b := model.types[typ]
	custom := b == nil
	if custom {
		// A custom object (11.2): the SDO common properties if it has a
		// created timestamp, the SCO ones otherwise.
		if _, ok := obj["created"]; ok {
			b = model.blocks["common-sdo"]
		} else {
			b = model.blocks["common-sco"]
		}
	}
	c.checkID(typ, b.kind)
	c.checkProps("", b, obj, typ)
	// The common properties every reader decodes (Decode) have their
	// common meaning on any object that carries them (3.2), even where the
	// type does not define them.
	sdo := model.blocks["common-sdo"]
	for _, name := range headerProps {
		if v, ok := obj[name]; ok && b.props[name] == nil {
			c.checkValue(name, sdo.props[name], v, typ)
		}
	}
	if sv, ok := obj["spec_version"].(string); ok && sv != "2.1" {
		c.add("spec_version", RuleSpecVersion, "must be \"2.1\", not %q", sv)
	}
	if typ == "bundle" {
		if _, ok := obj["spec_version"]; ok {
			c.add("spec_version", RuleSpecVersion, "a STIX 2.1 bundle has no spec_version")
		}
	}
	c.checkCreatedModified()
	if !custom && (b.kind == KindSDO || b.kind == KindSRO) || custom && b.name == "common-sdo" {
		for _, name := range reservedSDOProps {
			if _, ok := obj[name]; ok {
				c.add(name, RuleReserved, "property name %q is reserved (3.1)", name)
			}
		}
	}
	if rule := typeRules[typ]; rule != nil && !c.full() {
		rule(c)
	}
	if _, ok := obj["granular_markings"]; ok {
		c.checkSelectors()
	}
	if l, ok := obj["lang"].(string); ok && !validLanguageTag(l) {
		// 3.2: lang MUST be an RFC 5646 language code.
		c.add("lang", RuleValue, "%q is not an RFC 5646 language code", l)
	}
}

// headerProps are the common properties Decode reads.
var headerProps = []string{"spec_version", "created", "modified", "revoked", "created_by_ref", "object_marking_refs"}

// reservedSDOProps are property names the specification reserves on SDOs
// and SROs (the official schemas forbid them in core.json).
var reservedSDOProps = []string{"action", "phone_numbers", "severity", "username"}

// validTypeName reports whether s is a valid STIX type name (3.1):
// 3–250 characters, lower-case letters, digits and single hyphens, starting
// with a letter (the pattern of the official schemas).
func validTypeName(s string) bool {
	if len(s) < 3 || len(s) > 250 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	prev := byte(0)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= '0' && ch <= '9':
		case ch == '-':
			if prev == '-' {
				return false
			}
		default:
			return false
		}
		prev = ch
	}
	return true
}

func (c *checker) checkID(typ string, kind Kind) {
	v, present := c.obj["id"]
	if !present {
		c.add("id", RuleRequired, "required property missing")
		return
	}
	id, ok := v.(string)
	if !ok {
		c.add("id", RuleValueType, "must be a string")
		return
	}
	t, u, ok := strings.Cut(id, "--")
	if !ok || t != typ {
		c.add("id", RuleID, "%q does not start with the object's type %q and \"--\"", id, typ)
		return
	}
	if !validUUID(u) {
		c.add("id", RuleID, "%q does not end in an RFC 4122 UUID", id)
	}
}

// validUUID reports whether s is a lower- or upper-case RFC 4122 UUID of
// version 1–5 with the RFC 4122 variant (the form the official schemas
// require of identifiers).
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		ch := s[i]
		switch i {
		case 8, 13, 18, 23:
			if ch != '-' {
				return false
			}
		default:
			if !isHex(ch) {
				return false
			}
		}
	}
	if s[14] < '1' || s[14] > '5' {
		return false
	}
	switch s[19] {
	case '8', '9', 'a', 'b', 'A', 'B':
		return true
	}
	return false
}

func isHex(ch byte) bool {
	return ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f' || ch >= 'A' && ch <= 'F'
}

// validIdentifier reports whether s is of the form type--UUID and returns
// the type.
func validIdentifier(s string) (string, bool) {
	t, u, ok := strings.Cut(s, "--")
	if !ok || !validTypeName(t) || !validUUID(u) {
		return "", false
	}
	return t, true
}

// checkProps checks the properties of one object or embedded object
// described by b: required ones, value types, and the names of the others.
func (c *checker) checkProps(path string, b *block, m map[string]any, host string) {
	for _, name := range b.order {
		if path == "" && (name == "type" || name == "id") {
			continue // checked by checkRules
		}
		p := b.props[name]
		v, ok := m[name]
		if !ok {
			if p.required {
				c.add(joinPath(path, name), RuleRequired, "required property missing")
			}
			continue
		}
		c.checkValue(joinPath(path, name), p, v, host)
	}
	if len(m) == len(b.props) {
		return
	}
	var custom []string
	for k := range m {
		if _, known := b.props[k]; !known {
			custom = append(custom, k)
		}
	}
	sort.Strings(custom)
	for _, k := range custom {
		c.checkCustom(joinPath(path, k), k, m[k])
	}
}

// checkCustom checks a property the specification does not define: its
// name (11.1), and that its value is not null or an empty list (3.1, 2.12)
// and, by the naming convention the official schemas enforce, hex for
// *_hex and base64 for *_bin names (2.1, 2.8).
func (c *checker) checkCustom(path, name string, v any) {
	if !validCustomPropertyName(name) {
		c.add(path, RulePropertyName, "custom property name %q is not of the form ^[a-z][a-z0-9_]{2,249}$", name)
		return
	}
	switch v := v.(type) {
	case nil:
		c.add(path, RuleValueType, "a property must not be null; omit it instead")
	case []any:
		if len(v) == 0 {
			c.add(path, RuleEmptyList, "a list must not be empty")
		}
	case string:
		c.checkEncoded(path, name, v, -1)
	}
}

// checkEncoded checks the encoding of a string value by its property
// name: *_hex hexadecimal of an even number of digits (2.8), *_bin base64
// (2.1).
func (c *checker) checkEncoded(path, name, s string, idx int) {
	switch {
	case strings.HasSuffix(name, "_hex"):
		if s == "" || len(s)%2 != 0 || !allHex(s) {
			c.add(at(path, idx), RuleValue, "%q is not hexadecimal of an even, non-zero number of digits", s)
		}
	case strings.HasSuffix(name, "_bin"):
		if _, err := base64.StdEncoding.DecodeString(s); err != nil || s == "" {
			c.add(at(path, idx), RuleValue, "%q is not base64", s)
		}
	}
}

// validCustomPropertyName: ASCII a–z, 0–9 and underscore, 3–250 characters
// (11.1), beginning with a letter (3.1).
func validCustomPropertyName(s string) bool {
	if len(s) < 3 || len(s) > 250 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '_') {
			return false
		}
	}
	return true
}

func describe(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case json.Number:
		return string(v)
	case bool:
		return strconv.FormatBool(v)
	}
	return fmt.Sprintf("%v", v)
}

func jsonTypeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "unknown"
}

func (c *checker) checkValue(path string, p *propSpec, v any, host string) {
	if !p.list {
		c.checkOne(path, -1, p, v, host)
		return
	}
	l, ok := v.([]any)
	if !ok {
		c.add(path, RuleValueType, "must be a list, not %s", jsonTypeName(v))
		return
	}
	if len(l) == 0 {
		c.add(path, RuleEmptyList, "a list must not be empty")
		return
	}
	for i, e := range l {
		if c.full() {
			return
		}
		c.checkOne(path, i, p, e, host)
	}
}

// checkOne checks one value; idx ≥ 0 says it is element idx of the list at
// path (the element's path is built only when needed).
func (c *checker) checkOne(path string, idx int, p *propSpec, v any, host string) {
	if idx >= 0 && (p.kind == vBlock || p.kind == vExtensions || p.kind == vHashes || p.kind == vDict) {
		path, idx = indexPath(path, idx), -1
	}
	switch p.kind {
	case vAny:
	case vString:
		s, ok := v.(string)
		if !ok {
			c.add(at(path, idx), RuleValueType, "must be a string, not %s", jsonTypeName(v))
			return
		}
		if p.enum != nil && !slices.Contains(p.enum, s) {
			c.add(at(path, idx), RuleVocabulary, "%q is not one of %s", s, strings.Join(p.enum, ", "))
		}
		c.checkEncoded(path, p.name, s, idx)
	case vTimestamp:
		s, ok := v.(string)
		if !ok {
			c.add(at(path, idx), RuleValueType, "must be a timestamp string, not %s", jsonTypeName(v))
			return
		}
		if _, err := ParseTimestamp(s); err != nil {
			c.add(at(path, idx), RuleTimestamp, "%q is not a timestamp of the form YYYY-MM-DDTHH:MM:SS[.s+]Z", s)
		}
	case vBool:
		if _, ok := v.(bool); !ok {
			c.add(at(path, idx), RuleValueType, "must be a boolean, not %s", jsonTypeName(v))
		}
	case vInt, vFloat:
		n, ok := v.(json.Number)
		if !ok {
			c.add(at(path, idx), RuleValueType, "must be a number, not %s", jsonTypeName(v))
			return
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			c.add(at(path, idx), RuleValueType, "%s is not a representable number", n)
			return
		}
		if p.kind == vInt && f != float64(int64(f)) {
			c.add(at(path, idx), RuleValueType, "must be an integer, not %s", n)
			return
		}
		if p.hasMin && f < p.min || p.hasMax && f > p.max {
			c.add(at(path, idx), RuleRange, "%s is outside the range %s", n, rangeText(p))
		}
	case vDict, vHeaders:
		c.checkDict(path, p.kind == vHeaders, v)
	case vHashes:
		c.checkHashes(path, v)
	case vRef:
		s, ok := v.(string)
		if !ok {
			c.add(at(path, idx), RuleValueType, "must be an identifier string, not %s", jsonTypeName(v))
			return
		}
		t, ok := validIdentifier(s)
		if !ok {
			c.add(at(path, idx), RuleRefForm, "%q is not an identifier of the form type--UUID", s)
			return
		}
		if !refAllowed(p.targets, t) {
			c.add(at(path, idx), RuleRefType, "must refer to %s, not %s", targetsText(p.targets), t)
		}
	case vExtensions:
		c.checkExtensions(path, v, host)
	case vBlock:
		m, ok := v.(map[string]any)
		if !ok {
			c.add(at(path, idx), RuleValueType, "must be an object, not %s", jsonTypeName(v))
			return
		}
		sub := model.blocks[p.block]
		c.checkProps(path, sub, m, host)
		if rule := blockRules[p.block]; rule != nil {
			rule(c, path, m)
		}
	}
}

func rangeText(p *propSpec) string {
	lo, hi := "", ""
	if p.hasMin {
		lo = strconv.FormatFloat(p.min, 'f', -1, 64)
	}
	if p.hasMax {
		hi = strconv.FormatFloat(p.max, 'f', -1, 64)
	}
	return lo + ".." + hi
}

func targetsText(ts []string) string {
	var parts []string
	for _, t := range ts {
		switch t {
		case "sdo":
			parts = append(parts, "an SDO")
		case "sco":
			parts = append(parts, "an SCO")
		case "sro":
			parts = append(parts, "an SRO")
		default:
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, " or ")
}

// checkDict checks a dictionary (2.3): not empty; keys of 1–250 ASCII
// letters, digits, hyphens and underscores; no null values or empty lists.
// In a header dictionary (6.6 additional_header_fields, 6.12.2
// request_header) each value is a string or a list of strings.
func (c *checker) checkDict(path string, headers bool, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		c.add(path, RuleValueType, "must be a dictionary (JSON object), not %s", jsonTypeName(v))
		return
	}
	if len(m) == 0 {
		c.add(path, RuleDictionaryKey, "a dictionary must have at least one key")
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if len(k) == 0 || len(k) > 250 || !hashKeyChars(k) {
			shown := k
			if len(shown) > 40 {
				shown = shown[:40] + "…"
			}
			c.add(joinPath(path, shown), RuleDictionaryKey, "dictionary key %q is not 1–250 characters a–z, A–Z, 0–9, hyphen and underscore", shown)
			continue
		}
		p := joinPath(path, k)
		switch e := m[k].(type) {
		case nil:
			c.add(p, RuleValueType, "a dictionary value must not be null")
		case []any:
			if len(e) == 0 {
				c.add(p, RuleEmptyList, "a list must not be empty")
			}
			if headers {
				for i, s := range e {
					if _, ok := s.(string); !ok {
						c.add(indexPath(p, i), RuleValueType, "a header field value must be a string, not %s", jsonTypeName(s))
					}
				}
			}
		case string:
		default:
			if headers {
				c.add(p, RuleValueType, "a header field must be a string or a list of strings, not %s", jsonTypeName(e))
			}
		}
	}
}

// hashLengths are the hex lengths of the hash algorithms of
// hash-algorithm-ov (10.8) whose form is fixed.
var hashLengths = map[string]int{"MD5": 32, "SHA-1": 40, "SHA-256": 64, "SHA-512": 128, "SHA3-256": 64, "SHA3-512": 128}

func (c *checker) checkHashes(path string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		c.add(path, RuleValueType, "hashes must be a dictionary, not %s", jsonTypeName(v))
		return
	}
	if len(m) == 0 {
		c.add(path, RuleHash, "hashes must not be empty")
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := joinPath(path, k)
		s, ok := m[k].(string)
		if !ok {
			c.add(p, RuleValueType, "a hash value must be a string, not %s", jsonTypeName(m[k]))
			continue
		}
		if n, known := hashLengths[k]; known {
			if len(s) != n || !allHex(s) {
				c.add(p, RuleHash, "%q is not a %s hash (%d hexadecimal digits)", s, k, n)
			}
			continue
		}
		if len(k) < 3 || len(k) > 250 || !hashKeyChars(k) {
			c.add(p, RuleHash, "hash algorithm name %q is not of the form ^[a-zA-Z0-9_-]{3,250}$", k)
		}
	}
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

func hashKeyChars(s string) bool {
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_' || ch == '-') {
			return false
		}
	}
	return true
}

// checkExtensions checks an extensions dictionary (7.3, 11.3): each key is
// an extension-definition id, a predefined extension of the host SCO type,
// or a (deprecated) custom extension name ending in "-ext"; each value a
// non-empty object.
func (c *checker) checkExtensions(path string, v any, host string) {
	m, ok := v.(map[string]any)
	if !ok {
		c.add(path, RuleValueType, "extensions must be a dictionary, not %s", jsonTypeName(v))
		return
	}
	if len(m) == 0 {
		c.add(path, RuleExtension, "extensions must not be empty")
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := joinPath(path, k)
		e, ok := m[k].(map[string]any)
		if !ok {
			c.add(p, RuleValueType, "an extension must be an object, not %s", jsonTypeName(m[k]))
			continue
		}
		if len(e) == 0 {
			c.add(p, RuleExtension, "an extension must have at least one property")
			continue
		}
		if t, ok := validIdentifier(k); ok && t == "extension-definition" {
			et, present := e["extension_type"]
			if !present {
				c.add(joinPath(p, "extension_type"), RuleRequired, "required property missing")
				continue
			}
			s, _ := et.(string)
			switch s {
			case "new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension":
			default:
				c.add(joinPath(p, "extension_type"), RuleVocabulary, "%s is not one of new-sdo, new-sco, new-sro, property-extension, toplevel-property-extension", describe(et))
			}
			c.checkExtensionProps(p, e)
			continue
		}
		if strings.HasPrefix(k, "extension-definition--") {
			c.add(p, RuleExtension, "extension key %q is not a valid extension-definition identifier", k)
			continue
		}
		if b := extensionBlock(host, k); b != nil {
			c.checkProps(p, b, e, host)
			if rule := blockRules[k]; rule != nil {
				rule(c, p, e)
			}
			continue
		}
		if model.blocks[k] != nil && model.blocks[k].blockKind == "ext" {
			c.add(p, RuleExtension, "extension %q is defined for %s objects, not %s", k, model.blocks[k].host, host)
			continue
		}
		if !strings.HasSuffix(k, "-ext") || !validTypeName(k) {
			c.add(p, RuleExtension, "extension key %q is neither an extension-definition id nor a name ending in -ext", k)
			continue
		}
		c.checkExtensionProps(p, e)
	}
}

// checkExtensionProps checks the properties of a defined or custom
// extension as custom properties.
func (c *checker) checkExtensionProps(path string, e map[string]any) {
	keys := make([]string, 0, len(e))
	for k := range e {
		if k != "extension_type" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		c.checkCustom(joinPath(path, k), k, e[k])
	}
}

// timestampOf returns the parsed timestamp property name of m, if present and
// valid.
func timestampOf(m map[string]any, name string) (time.Time, bool) {
	s, ok := m[name].(string)
	if !ok {
		return time.Time{}, false
	}
	t, err := ParseTimestamp(s)
	return t, err == nil
}

// checkCreatedModified: created and modified are precise to at least the
// millisecond, and modified ≥ created (3.2).
func (c *checker) checkCreatedModified() {
	for _, name := range [...]string{"created", "modified"} {
		s, ok := c.obj[name].(string)
		if !ok {
			continue
		}
		if _, err := ParseTimestamp(s); err != nil {
			continue // reported as a timestamp error
		}
		// YYYY-MM-DDTHH:MM:SS.sssZ: at least three fractional digits.
		if len(s) < 24 || s[19] != '.' {
			c.add(name, RulePrecision, "%q must be precise to at least the millisecond", s)
		}
	}
	created, ok1 := timestampOf(c.obj, "created")
	modified, ok2 := timestampOf(c.obj, "modified")
	if ok1 && ok2 && modified.Before(created) {
		c.add("modified", RuleModifiedCreated, "modified (%s) is earlier than created (%s)", c.obj["modified"], c.obj["created"])
	}
}

// checkOrder reports when the timestamp property later of m is earlier than
// (strict: not later than) the property earlier.
func (c *checker) checkOrder(path string, m map[string]any, earlier, later string, strict bool) {
	a, ok1 := timestampOf(m, earlier)
	b, ok2 := timestampOf(m, later)
	if !ok1 || !ok2 {
		return
	}
	if b.Before(a) || strict && b.Equal(a) {
		want := "later than or equal to"
		if strict {
			want = "later than"
		}
		c.add(joinPath(path, later), RuleTimeOrder, "%s (%s) must be %s %s (%s)", later, m[later], want, earlier, m[earlier])
	}
}
