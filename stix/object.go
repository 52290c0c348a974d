// Package stix holds STIX 2.1 objects: identifiers, timestamps, decoding
// that keeps each object's original JSON, validation against the
// specification's MUST rules and the official JSON schemas, and
// deterministic identifiers for cyber-observable objects.
//
// The stored form of an object is always its JSON as received (Object.Raw).
// Decode reads the common properties; Validate applies the specification
// (see its doc for the rules, and ValidationError for how problems are
// named); Typed and As read Raw into the struct of the object's type.
// DecodeBundle streams a bundle's objects. SCOID and its helpers compute
// deterministic SCO identifiers (section 2.9); TLPMarkingDefinitions gives
// the fixed TLP 1.0 and 2.0 marking definitions; Upgrade20 turns a STIX 2.0
// object into STIX 2.1. The object model the validator and the typed structs
// follow is spec.txt, one line per property of the specification.
package stix

import (
	"encoding/json"
	"fmt"
	"time"
)

// Object is one STIX object as received: the common properties every
// adapter needs, decoded, and the exact original JSON in Raw (unknown and
// custom properties included, never re-encoded).
type Object struct {
	Type              string
	ID                string
	SpecVersion       string    // "2.1"; empty for objects that omit it
	Created           time.Time // zero when absent (SCOs)
	Modified          time.Time // zero when absent
	Revoked           bool
	CreatedByRef      string
	ObjectMarkingRefs []string
	Raw               json.RawMessage
}

// header is what Decode reads of every object.
type header struct {
	Type              string   `json:"type"`
	ID                string   `json:"id"`
	SpecVersion       string   `json:"spec_version"`
	Created           string   `json:"created"`
	Modified          string   `json:"modified"`
	Revoked           bool     `json:"revoked"`
	CreatedByRef      string   `json:"created_by_ref"`
	ObjectMarkingRefs []string `json:"object_marking_refs"`
}

// Decode reads the common properties of one STIX object and keeps raw as
// its original JSON. It checks only what it needs to read them (one
// well-formed JSON object in valid UTF-8 with no duplicate top-level member
// names, string-typed common properties, timestamps in STIX form);
// Validate applies the rest of the specification.
func Decode(raw []byte) (*Object, error) {
	h, err := decodeHeader(raw)
	if err != nil {
		return nil, fmt.Errorf("decoding STIX object: %w", err)
	}
	o := &Object{
		Type:              h.Type,
		ID:                h.ID,
		SpecVersion:       h.SpecVersion,
		Revoked:           h.Revoked,
		CreatedByRef:      h.CreatedByRef,
		ObjectMarkingRefs: h.ObjectMarkingRefs,
		Raw:               json.RawMessage(raw),
	}
	if h.Created != "" {
		if o.Created, err = ParseTimestamp(h.Created); err != nil {
			return nil, fmt.Errorf("object %s: created: %w", h.ID, err)
		}
	}
	if h.Modified != "" {
		if o.Modified, err = ParseTimestamp(h.Modified); err != nil {
			return nil, fmt.Errorf("object %s: modified: %w", h.ID, err)
		}
	}
	return o, nil
}

// Version returns the object's version as TAXII 2.1 defines it: modified,
// else created; zero for objects with neither (the store then uses the
// date the object was added).
func (o *Object) Version() time.Time {
	if !o.Modified.IsZero() {
		return o.Modified
	}
	return o.Created
}

// ParseTimestamp parses a STIX timestamp: RFC 3339 in UTC with a literal
// "Z" and any number of fractional-second digits
// (YYYY-MM-DDTHH:MM:SS[.s+]Z), as the specification's section 3.2 requires.
func ParseTimestamp(s string) (time.Time, error) {
	if len(s) < 20 || s[len(s)-1] != 'Z' || s[10] != 'T' {
		return time.Time{}, fmt.Errorf("timestamp %q is not of the form YYYY-MM-DDTHH:MM:SS[.s+]Z", s)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q is not of the form YYYY-MM-DDTHH:MM:SS[.s+]Z", s)
	}
	return t.UTC(), nil
}

// FormatTimestamp prints t in STIX form with millisecond precision, or
// more digits when t has them (so a parsed timestamp prints back to the same
// instant).
func FormatTimestamp(t time.Time) string {
	t = t.UTC()
	switch {
	case t.Nanosecond()%1e6 == 0:
		return t.Format("2006-01-02T15:04:05.000Z")
	case t.Nanosecond()%1e3 == 0:
		return t.Format("2006-01-02T15:04:05.000000Z")
	}
	return t.Format("2006-01-02T15:04:05.000000000Z")
}
