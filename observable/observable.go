// Package observable extracts the observable values STIX objects carry
// (addresses, domains, URLs, e-mail addresses, file hashes), normalised
// for the value index and correlation, and checks indicator patterns.
package observable

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
	"github.com/dragnet-intel/dragnet/stix/pattern"
)

// fields is what Values and Validate read of an object.
type fields struct {
	Value       string                     `json:"value"`
	Hashes      map[string]string          `json:"hashes"`
	Pattern     string                     `json:"pattern"`
	PatternType string                     `json:"pattern_type"`
	Objects     map[string]json.RawMessage `json:"objects"` // observed-data, STIX 2.0 style
}

// Values returns the normalised observable values o carries, without
// duplicates, in the order found:
//
//   - ipv4-addr, ipv6-addr (an address or a CIDR range), domain-name, url,
//     email-addr: their value;
//   - file, artifact, x509-certificate: their MD5, SHA-1, SHA-256 and
//     SHA-512 hashes;
//   - indicator with a STIX pattern that is simple (pattern.Simple: a
//     disjunction of =, IN and ISSUBSET tests): the values it compares
//     those properties with. Seeing any one of them is a match, so the
//     match index may use them as they are. A complex pattern carries no
//     values here (pattern.Comparisons lists what it names);
//   - observed-data with embedded objects (STIX 2.0): their values.
//
// Values that do not normalise (a malformed address, a hash of the wrong
// length) and objects that do not decode are skipped: Values never fails.
func Values(o *stix.Object) []dragnet.Value {
	if !carriesValues(o.Type) {
		return nil
	}
	var f fields
	if json.Unmarshal(o.Raw, &f) != nil {
		return nil
	}
	var out []dragnet.Value
	appendValues(&out, o.Type, &f, 0)
	return out
}

func carriesValues(typ string) bool {
	switch typ {
	case "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr",
		"file", "artifact", "x509-certificate", "indicator", "observed-data":
		return true
	}
	return false
}

func appendValues(out *[]dragnet.Value, typ string, f *fields, depth int) {
	switch typ {
	case "indicator":
		if f.Pattern == "" || (f.PatternType != "" && f.PatternType != "stix") {
			return
		}
		p, err := pattern.Parse(f.Pattern)
		if err != nil {
			return
		}
		appendSimple(out, p)
	case "observed-data":
		if depth > 0 {
			return
		}
		for _, raw := range f.Objects {
			var sub struct {
				Type string `json:"type"`
				fields
			}
			if json.Unmarshal(raw, &sub) == nil && sub.Type != "indicator" && sub.Type != "observed-data" {
				appendValues(out, sub.Type, &sub.fields, depth+1)
			}
		}
	default:
		if f.Value != "" {
			if k, ok := Kind(typ, "value"); ok {
				add(out, k, f.Value)
			}
		}
		for name, h := range f.Hashes {
			if k, ok := hashKind(name); ok && hashTypes(typ) {
				add(out, k, h)
			}
		}
	}
}

// appendSimple adds the values a simple pattern compares with.
func appendSimple(out *[]dragnet.Value, p *pattern.Pattern) {
	cs, ok := p.Simple()
	if !ok {
		return
	}
	for _, c := range cs {
		if k, ok := Kind(c.Type, c.Path); ok {
			add(out, k, c.Value)
		}
	}
}

func add(out *[]dragnet.Value, k dragnet.ValueKind, s string) {
	v, err := dragnet.NormalizeValue(k, s)
	if err != nil {
		return
	}
	for _, have := range *out {
		if have == v {
			return
		}
	}
	*out = append(*out, v)
}

// Kind returns the value kind of the property at path (keys joined by '.',
// as in pattern.Comparison) of an object of type typ, and false for
// properties that are not observable values. Addresses are ValueIPv4 or
// ValueIPv6; NormalizeValue turns a range into ValueCIDR.
func Kind(typ, path string) (dragnet.ValueKind, bool) {
	if path == "value" {
		switch typ {
		case "ipv4-addr":
			return dragnet.ValueIPv4, true
		case "ipv6-addr":
			return dragnet.ValueIPv6, true
		case "domain-name":
			return dragnet.ValueDomain, true
		case "url":
			return dragnet.ValueURL, true
		case "email-addr":
			return dragnet.ValueEmail, true
		}
		return "", false
	}
	if name, ok := strings.CutPrefix(path, "hashes."); ok && hashTypes(typ) {
		return hashKind(name)
	}
	return "", false
}

func hashTypes(typ string) bool {
	return typ == "file" || typ == "artifact" || typ == "x509-certificate"
}

// hashKind maps a hashes key to its value kind: the STIX names (MD5,
// SHA-1, SHA-256, SHA-512) in any case, with or without the hyphen.
func hashKind(name string) (dragnet.ValueKind, bool) {
	switch strings.ToUpper(strings.ReplaceAll(name, "-", "")) {
	case "MD5":
		return dragnet.ValueMD5, true
	case "SHA1":
		return dragnet.ValueSHA1, true
	case "SHA256":
		return dragnet.ValueSHA256, true
	case "SHA512":
		return dragnet.ValueSHA512, true
	}
	return "", false
}

// PatternError is the error Validate returns for an indicator whose STIX
// pattern does not parse. It is EINVALID (dragnet.ErrorCode) and unwraps
// to the *pattern.Error naming the position.
type PatternError struct {
	ID  string         // the indicator's id
	Err *pattern.Error // where and what
}

func (e *PatternError) Error() string { return "dragnet: invalid: " + e.message() }

func (e *PatternError) message() string {
	return fmt.Sprintf("indicator %s: pattern: %v", e.ID, e.Err)
}

// Unwrap gives both the domain error (code EINVALID) and the parse error.
func (e *PatternError) Unwrap() []error {
	return []error{dragnet.Errorf(dragnet.EINVALID, "%s", e.message()), e.Err}
}

// Validate checks what Values relies on: an indicator whose pattern_type
// is "stix" (or absent, as in STIX 2.0) must have a pattern that parses.
// It returns a *PatternError (EINVALID) if not, EINVALID if the indicator
// does not decode, and nil for every other object.
func Validate(o *stix.Object) error {
	_, err := indicatorPattern(o)
	return err
}

// ValidateValues is Validate and then Values, with the object decoded and
// its pattern parsed once: what Values returns for an object Validate
// accepts, or Validate's error.
func ValidateValues(o *stix.Object) ([]dragnet.Value, error) {
	if o.Type != "indicator" {
		return Values(o), nil
	}
	p, err := indicatorPattern(o)
	if err != nil || p == nil {
		return nil, err
	}
	var out []dragnet.Value
	appendSimple(&out, p)
	return out, nil
}

// indicatorPattern returns the parsed STIX pattern of an indicator; nil
// and no error for other objects and other pattern types.
func indicatorPattern(o *stix.Object) (*pattern.Pattern, error) {
	if o.Type != "indicator" {
		return nil, nil
	}
	var f struct {
		Pattern     *string `json:"pattern"`
		PatternType string  `json:"pattern_type"`
	}
	var ok bool
	if f.Pattern, f.PatternType, ok = patternFields(o.Raw); !ok {
		if err := json.Unmarshal(o.Raw, &f); err != nil {
			return nil, dragnet.Errorf(dragnet.EINVALID, "indicator %s: %v", o.ID, err)
		}
	}
	if f.PatternType != "" && f.PatternType != "stix" {
		return nil, nil
	}
	if f.Pattern == nil {
		return nil, dragnet.Errorf(dragnet.EINVALID, "indicator %s: no pattern", o.ID)
	}
	p, err := pattern.Parse(*f.Pattern)
	if err != nil {
		var pe *pattern.Error
		if !asPatternError(err, &pe) {
			return nil, dragnet.Errorf(dragnet.EINVALID, "indicator %s: pattern: %v", o.ID, err)
		}
		return nil, &PatternError{ID: o.ID, Err: pe}
	}
	return p, nil
}

func asPatternError(err error, pe **pattern.Error) bool {
	e, ok := err.(*pattern.Error)
	*pe = e
	return ok
}
