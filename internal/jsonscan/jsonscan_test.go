package jsonscan

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestObject(t *testing.T) {
	good := []struct {
		in   string
		want []string
	}{
		{`{}`, nil},
		{` {"a":"x"} `, []string{"a=x"}},
		{`{"a":"x\"y","b":1,"c":[1,{"d":"e"}],"e":null,"f":true,"g":-1.5e3,"h":["p","q",3]}`, []string{"a=x\"y", "h=p", "h=q"}},
		{`{"k\u0041":"\u00e9\ud83d\ude00"}`, []string{"kA=é😀"}},
		{`{"a":{"b":"c"}}`, nil},
	}
	for _, tc := range good {
		var got []string
		err := Object(tc.in, func(k string, v Value) error {
			v.Strings(func(s string) { got = append(got, k+"="+s) })
			return nil
		})
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("Object(%s) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	bad := []string{``, `[]`, `{`, `{"a"}`, `{"a":}`, `{"a":"x"`, `{"a":"x",}`, `{"a":tru}`, `{"a":"x"} x`, `{"a":"\x"}`,
		`{"a":"` + "\x01" + `"}`, `{a:1}`, `{"a":[1,2}`, `{"a":"\u12"}`, `{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`}
	for _, in := range bad {
		if err := Object(in, func(string, Value) error { return nil }); err == nil {
			t.Errorf("Object(%q) accepted", in)
		}
	}
}

func TestNumber(t *testing.T) {
	for in, want := range map[string]float64{`80`: 80, `-1.5e3`: -1500, `0`: 0, `8E1`: 80} {
		if got, ok := Raw(in).Number(); !ok || got != want {
			t.Errorf("Raw(%s).Number() = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{`"80"`, `null`, `true`, `[80]`, `1.2.3`, `-`, ``} {
		if got, ok := Raw(in).Number(); ok {
			t.Errorf("Raw(%s).Number() = %v, want not a number", in, got)
		}
	}
}

// FuzzObject: Object never panics, and on any JSON object encoding/json
// accepts it finds every member, each string member with the same text.
func FuzzObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":"x","b":[1,"y"],"c":{"d":null}}`, `{"k\u0041":"\u00e9\ud83d\ude00"}`, `{"a":1e5,"b":-0.5}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		keys := 0
		err := Object(s, func(k string, v Value) error {
			keys++
			return nil
		})
		var m map[string]any
		if json.Unmarshal([]byte(s), &m) != nil || m == nil {
			return
		}
		if err != nil {
			t.Fatalf("Object(%q) refused a JSON object: %v", s, err)
		}
		if keys < len(m) {
			t.Fatalf("Object(%q) found %d members, encoding/json %d", s, keys, len(m))
		}
		_ = Object(s, func(k string, v Value) error {
			if str, ok := v.String(); ok {
				if want, _ := m[k].(string); want != str && utf8.ValidString(str) && utf8.ValidString(s) && countKey(s, k) == 1 {
					t.Fatalf("Object(%q): member %q = %q, encoding/json %q", s, k, str, want)
				}
			}
			return nil
		})
	})
}

// countKey counts the members named k, roughly (a quoted k anywhere).
func countKey(s, k string) int {
	b, _ := json.Marshal(k)
	return strings.Count(s, string(b))
}

func TestElementsMembers(t *testing.T) {
	var got []string
	err := Raw(` [ "a", 1, {"b":["c"]}, [2] ] `).Elements(func(v Value) error {
		got = append(got, v.Text())
		return nil
	})
	if err != nil || !slices.Equal(got, []string{`"a"`, `1`, `{"b":["c"]}`, `[2]`}) {
		t.Errorf("Elements = %q, %v", got, err)
	}
	if err := Raw(`[]`).Elements(func(Value) error { t.Error("element of []"); return nil }); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{`{}`, `[1,]`, `[1 2]`, `"x"`, `[`} {
		if err := Raw(bad).Elements(func(Value) error { return nil }); err == nil {
			t.Errorf("Elements(%s) accepted", bad)
		}
	}
	var keys []string
	if err := Raw(`{"x":1,"y":{"z":2}}`).Members(func(k string, v Value) error { keys = append(keys, k+"="+v.Text()); return nil }); err != nil || !slices.Equal(keys, []string{"x=1", `y={"z":2}`}) {
		t.Errorf("Members = %q, %v", keys, err)
	}
	if Raw(`{"a":1}`).Kind() != '{' || Raw(``).Kind() != 0 {
		t.Error("Kind")
	}
}
