package stix

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
)

// tlpBundle holds the nine fixed TLP marking definitions: TLP 2.0 (CLEAR,
// GREEN, AMBER, AMBER+STRICT, RED; OASIS TLP 2.0 marking extension) and
// TLP 1.0 (WHITE, GREEN, AMBER, RED; STIX 2.1 section 7.2.1.4).
//
//go:embed tlp-marking-definitions.json
var tlpBundle []byte

// TLPMarkingDefinitions returns the fixed TLP marking definitions, TLP 2.0
// first, as a producer may reference them without sending them. Each call
// returns new objects, which the caller may keep or change.
func TLPMarkingDefinitions() []*Object {
	var out []*Object
	err := DecodeBundle(bytes.NewReader(tlpBundle), func(raw json.RawMessage, _ int) error {
		o, err := Decode(raw)
		if err != nil {
			return err
		}
		out = append(out, o)
		return nil
	})
	if err != nil {
		panic(fmt.Sprintf("stix: embedded TLP marking definitions: %v", err)) // a build defect, caught by the tests
	}
	return out
}

// TLPMarkingDefinition returns the fixed TLP marking definition with this
// id, or nil if id is not one of them.
func TLPMarkingDefinition(id string) *Object {
	if !IsTLPMarking(id) {
		return nil
	}
	for _, o := range TLPMarkingDefinitions() {
		if o.ID == id {
			return o
		}
	}
	return nil
}

// IsTLPMarking reports whether id is the id of one of the fixed TLP 1.0 or
// TLP 2.0 marking definitions, which are known without being sent.
func IsTLPMarking(id string) bool {
	_, ok := tlpLevels[id]
	return ok
}

// TLPLevel returns the TLP level a fixed marking definition id stands for,
// in TLP 2.0 terms ("clear", "green", "amber", "amber+strict", "red"; TLP
// 1.0 WHITE is "clear"), and "" for any other id.
func TLPLevel(id string) string {
	l, ok := tlpLevels[id]
	if !ok {
		return ""
	}
	if l == "tlp1:white" {
		return "clear"
	}
	return l[5:]
}
