package stix

import (
	"strings"
	"testing"
	"time"
)

func TestDecode(t *testing.T) {
	o, err := Decode([]byte(baseObjects["indicator"]))
	if err != nil {
		t.Fatal(err)
	}
	if o.Type != "indicator" || o.ID != testIndicatorID || o.SpecVersion != "2.1" ||
		o.CreatedByRef != "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff" ||
		len(o.ObjectMarkingRefs) != 1 || o.ObjectMarkingRefs[0] != "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da" ||
		!o.Created.Equal(time.Date(2016, 4, 6, 20, 3, 48, 0, time.UTC)) || o.Revoked {
		t.Errorf("decoded %+v", o)
	}
	if string(o.Raw) != baseObjects["indicator"] {
		t.Error("Raw is not the input")
	}
	o, err = Decode([]byte(`{"type":"x-a","revoked":true,"created_by_ref":null,"object_marking_refs":null,"TYPE":"other","nested":{"type":"y","a":[1,{"b":"\u00e9"}]}}`))
	if err != nil || o.Type != "x-a" || !o.Revoked || o.ObjectMarkingRefs != nil {
		t.Errorf("got %+v, %v", o, err)
	}
}

func TestDecodeBad(t *testing.T) {
	cases := map[string]struct{ in, want string }{
		"duplicate id":        {`{"id":"a--1","id":"b--2"}`, "duplicate member name"},
		"duplicate markings":  {`{"object_marking_refs":[],"object_marking_refs":["x"]}`, "duplicate member name"},
		"id number":           {`{"id":5}`, "id: must be a string"},
		"revoked string":      {`{"revoked":"true"}`, "revoked: must be a boolean"},
		"markings not list":   {`{"object_marking_refs":"x"}`, "must be a list"},
		"marking not string":  {`{"object_marking_refs":["a",1]}`, "object_marking_refs[1]: must be a string"},
		"created bad":         {`{"id":"a","created":"yesterday"}`, "created"},
		"modified offset":     {`{"modified":"2016-01-01T00:00:00+01:00"}`, "modified"},
		"not object":          {`"indicator"`, "must be a JSON object"},
		"empty":               {``, "end of input"},
		"invalid UTF-8 deep":  {"{\"a\":{\"b\":\"\xc3\x28\"}}", "invalid UTF-8"},
		"lone surrogate":      {`{"name":"\ud800"}`, "surrogate"},
		"trailing":            {`{} x`, "after the JSON value"},
		"deep":                {`{"a":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}`, "nesting"},
		"bad literal":         {`{"a":tru}`, "literal"},
		"bad number":          {`{"a":01}`, "expected ','"},
		"control in string":   {"{\"a\":\"x\ny\"}", "control character"},
		"unterminated string": {`{"a":"x`, "unterminated"},
		"missing colon":       {`{"a" 1}`, "expected ':'"},
	}
	for name, c := range cases {
		_, err := Decode([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.want)
		}
	}
}
