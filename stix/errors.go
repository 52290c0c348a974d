package stix

import (
	"fmt"
	"strings"
)

// Validation rules: the Rule of a ValidationError says which requirement of
// the specification an object breaks.
const (
	RuleJSON            = "json"                // not a well-formed JSON object (RFC 8259, I-JSON RFC 7493)
	RuleRequired        = "required"            // a required property is missing
	RuleValueType       = "value-type"          // a property's value has the wrong JSON type
	RuleTypeName        = "type-name"           // the type property is not a valid type name (3.1)
	RuleID              = "id"                  // id is not type--UUID for this type (2.9)
	RuleSpecVersion     = "spec-version"        // spec_version is not "2.1" (3.2)
	RuleTimestamp       = "timestamp"           // not a STIX timestamp (2.15)
	RulePrecision       = "timestamp-precision" // created/modified less precise than milliseconds (3.2)
	RuleModifiedCreated = "modified-created"    // modified earlier than created (3.2)
	RuleTimeOrder       = "time-order"          // an end time earlier than its start time
	RuleRefForm         = "reference-form"      // a *_ref value is not an identifier (2.9)
	RuleRefType         = "reference-type"      // a reference points to a type it may not
	RuleVocabulary      = "vocabulary"          // a value outside a closed vocabulary (enumeration, 2.4)
	RuleRange           = "range"               // a number outside its allowed range
	RuleEmptyList       = "empty-list"          // a list with no items (2.12)
	RulePropertyName    = "property-name"       // a custom property name not of the form ^[a-z][a-z0-9_]{2,249}$ (3.1, 11.1)
	RuleReserved        = "reserved"            // a reserved property or type name
	RuleDictionaryKey   = "dictionary-key"      // a dictionary key the specification forbids (2.3)
	RuleHash            = "hash"                // a hash value not of its algorithm's form (2.7)
	RuleExtension       = "extension"           // a malformed or misplaced extension (7.3, 11.3)
	RuleExternalRef     = "external-reference"  // 2.5
	RuleGranularMarking = "granular-marking"    // 7.2.3
	RuleTLP             = "tlp"                 // a TLP marking definition other than the fixed ones (7.2.1.4)
	RuleConstraint      = "constraint"          // a co-occurrence rule of one object type
	RuleValue           = "value"               // a value of the wrong form for its property (an address, a URL, ...)
	RuleSchema          = "schema"              // the official STIX 2.1 JSON schema rejects the object
)

// ValidationError is one way in which an object breaks the specification.
type ValidationError struct {
	ObjectID string // the object's id as sent ("" when it has none)
	Path     string // the property, e.g. "external_references[2].source_name"; "" for the whole object
	Rule     string // one of the Rule constants
	Message  string
}

// Error reads "object ID: PATH: MESSAGE".
func (e *ValidationError) Error() string {
	id := e.ObjectID
	if id == "" {
		id = "(no id)"
	}
	if e.Path == "" {
		return fmt.Sprintf("object %s: %s", id, e.Message)
	}
	return fmt.Sprintf("object %s: %s: %s", id, e.Path, e.Message)
}

// ValidationErrors is what Validate returns: every problem found in one
// object (up to MaxErrors), in the order the checks found them. errors.As
// with a *ValidationError target yields the first.
type ValidationErrors []*ValidationError

// MaxErrors bounds how many problems Validate reports for one object.
const MaxErrors = 10

func (es ValidationErrors) Error() string {
	switch len(es) {
	case 0:
		return "no validation errors"
	case 1:
		return es[0].Error()
	}
	var b strings.Builder
	b.WriteString(es[0].Error())
	for _, e := range es[1:] {
		b.WriteString("; ")
		if e.Path != "" {
			b.WriteString(e.Path)
			b.WriteString(": ")
		}
		b.WriteString(e.Message)
	}
	return b.String()
}

// Unwrap gives errors.Is and errors.As each problem.
func (es ValidationErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}
