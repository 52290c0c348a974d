package stix

import (
	"testing"
)

func TestTLPMarkingDefinitions(t *testing.T) {
	defs := TLPMarkingDefinitions()
	if len(defs) != 9 {
		t.Fatalf("%d definitions, want 9", len(defs))
	}
	levels := map[string]int{}
	for _, o := range defs {
		if err := Validate(o); err != nil {
			t.Errorf("%s: %v", o.ID, err)
		}
		if !IsTLPMarking(o.ID) {
			t.Errorf("%s not known as a TLP marking", o.ID)
		}
		levels[TLPLevel(o.ID)]++
		if got := TLPMarkingDefinition(o.ID); got == nil || string(got.Raw) != string(o.Raw) {
			t.Errorf("TLPMarkingDefinition(%s) differs", o.ID)
		}
	}
	want := map[string]int{"clear": 2, "green": 2, "amber": 2, "amber+strict": 1, "red": 2}
	for l, n := range want {
		if levels[l] != n {
			t.Errorf("level %s: %d definitions, want %d", l, levels[l], n)
		}
	}
	// Each call gives new objects.
	a, b := TLPMarkingDefinitions(), TLPMarkingDefinitions()
	a[0].Raw[0] = 'X'
	if b[0].Raw[0] == 'X' {
		t.Error("TLPMarkingDefinitions shares its objects between calls")
	}
	if TLPMarkingDefinition("marking-definition--00000000-0000-4000-8000-000000000000") != nil || TLPLevel("x") != "" {
		t.Error("unknown id treated as TLP")
	}
}

// An object marked with a fixed TLP definition validates without the
// definition being present.
func TestTLPReferenceAccepted(t *testing.T) {
	for _, o := range TLPMarkingDefinitions() {
		raw := mutate(t, "indicator", map[string]any{"object_marking_refs": []any{o.ID}})
		if err := ValidateJSON(raw); err != nil {
			t.Errorf("%s: %v", o.ID, err)
		}
	}
}
