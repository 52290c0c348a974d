package dragnet

import "strings"

// TLP is a Traffic Light Protocol 2.0 level (FIRST, 2022). The zero value
// TLPNone means "not marked"; an unmarked submission takes its audience's
// default before it is stored, so stored submissions never carry TLPNone.
//
// Levels are ordered from least to most restrictive, so a > b means a is
// more restrictive than b.
type TLP int

const (
	TLPNone TLP = iota
	TLPClear
	TLPGreen
	TLPAmber
	TLPAmberStrict
	TLPRed
)

var tlpNames = [...]string{"", "clear", "green", "amber", "amber+strict", "red"}

// String returns the lower-case TLP 2.0 name ("clear", "amber+strict"), or
// "" for TLPNone.
func (t TLP) String() string {
	if t < 0 || int(t) >= len(tlpNames) {
		return ""
	}
	return tlpNames[t]
}

// Label returns the upper-case label as written in TLP 2.0 ("TLP:AMBER+STRICT").
func (t TLP) Label() string {
	if t == TLPNone {
		return ""
	}
	return "TLP:" + strings.ToUpper(t.String())
}

// ParseTLP parses a TLP level as users write it: "amber", "TLP:AMBER",
// "amber+strict", "tlp:clear", and the TLP 1.0 name "white" (= clear).
func ParseTLP(s string) (TLP, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	v = strings.TrimPrefix(v, "tlp:")
	switch v {
	case "clear", "white":
		return TLPClear, nil
	case "green":
		return TLPGreen, nil
	case "amber":
		return TLPAmber, nil
	case "amber+strict", "amber-strict", "amber strict":
		return TLPAmberStrict, nil
	case "red":
		return TLPRed, nil
	}
	return TLPNone, Errorf(EINVALID, "TLP level %q is not one of clear, green, amber, amber+strict, red", s)
}

// The fixed STIX marking-definition ids of TLP 2.0 (OASIS TLP 2.0 extension)
// and TLP 1.0 (STIX 2.1 section 7.2.1.4).
const (
	TLP2Clear       = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	TLP2Green       = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	TLP2Amber       = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	TLP2AmberStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	TLP2Red         = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"

	TLP1White = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
	TLP1Green = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
	TLP1Amber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
	TLP1Red   = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
)

// TLPOfMarking returns the TLP 2.0 level a marking-definition id stands for
// (TLP 1.0 ids map to their 2.0 equivalents), or TLPNone if the id is not a
// TLP marking.
func TLPOfMarking(id string) TLP {
	switch id {
	case TLP2Clear, TLP1White:
		return TLPClear
	case TLP2Green, TLP1Green:
		return TLPGreen
	case TLP2Amber, TLP1Amber:
		return TLPAmber
	case TLP2AmberStrict:
		return TLPAmberStrict
	case TLP2Red, TLP1Red:
		return TLPRed
	}
	return TLPNone
}

// MarkingOfTLP returns the TLP 2.0 marking-definition id of t ("" for TLPNone).
func MarkingOfTLP(t TLP) string {
	switch t {
	case TLPClear:
		return TLP2Clear
	case TLPGreen:
		return TLP2Green
	case TLPAmber:
		return TLP2Amber
	case TLPAmberStrict:
		return TLP2AmberStrict
	case TLPRed:
		return TLP2Red
	}
	return ""
}

// TLPOfMarkings returns the single TLP level named by the object-level
// marking refs, TLPNone when none is a TLP marking, and an EINVALID error
// when they name two different levels (conflicting TLP markings are refused;
// the same level given in TLP 1.0 and 2.0 form is not a conflict).
func TLPOfMarkings(refs []string) (TLP, error) {
	found := TLPNone
	for _, r := range refs {
		t := TLPOfMarking(r)
		if t == TLPNone {
			continue
		}
		if found != TLPNone && found != t {
			return TLPNone, Errorf(EINVALID, "object_marking_refs: conflicting TLP markings %s and %s", found.Label(), t.Label())
		}
		found = t
	}
	return found, nil
}
