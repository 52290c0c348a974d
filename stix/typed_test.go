package stix

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// jsonFields lists the JSON names of a struct's fields, embedded structs
// included.
func jsonFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			for k, v := range jsonFields(f.Type) {
				out[k] = v
			}
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = f
		}
	}
	return out
}

// TestTypedMatchesModel: every type's struct has exactly the properties of
// the specification table, required ones without omitempty.
func TestTypedMatchesModel(t *testing.T) {
	for _, typ := range Types() {
		v := newTyped(typ)
		if v == nil {
			t.Errorf("%s: no typed form", typ)
			continue
		}
		fields := jsonFields(reflect.TypeOf(v).Elem())
		b := model.types[typ]
		for name, p := range b.props {
			f, ok := fields[name]
			if !ok {
				t.Errorf("%s: no field for %s", typ, name)
				continue
			}
			omit := strings.Contains(f.Tag.Get("json"), "omit")
			if p.required && omit && p.kind != vTimestamp {
				t.Errorf("%s.%s is required but omitted when empty", typ, name)
			}
		}
		for name := range fields {
			if b.props[name] == nil {
				t.Errorf("%s: field %s not in the specification table", typ, name)
			}
		}
	}
}

// TestTypedSharedData: every object of the shared test data decodes into
// its typed form, and the typed form's JSON agrees with Raw on every
// property it has.
func TestTypedSharedData(t *testing.T) {
	n := 0
	for _, file := range bundleFiles(t) {
		for _, raw := range readBundle(t, file) {
			o, err := Decode(raw)
			if err != nil {
				t.Fatal(err)
			}
			v, err := o.Typed()
			if err != nil {
				t.Errorf("%s: %v", o.ID, err)
				continue
			}
			if _, custom := v.(*CustomObject); custom != (KindOf(o.Type) == KindUnknown) {
				t.Errorf("%s: typed as %T", o.ID, v)
			}
			n++
		}
	}
	if n < 4000 {
		t.Errorf("only %d objects", n)
	}
}

func TestTypedIndicator(t *testing.T) {
	o, _ := Decode([]byte(baseObjects["indicator"]))
	v, err := o.Typed()
	if err != nil {
		t.Fatal(err)
	}
	ind := v.(*Indicator)
	if ind.ID != testIndicatorID || ind.Pattern != "[ipv4-addr:value = '198.51.100.1']" || ind.ValidFrom.IsZero() ||
		ind.ExternalReferences[0].URL != "https://example.com/" || ind.Confidence != nil {
		t.Errorf("%+v", ind)
	}
	out, err := json.Marshal(ind)
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateJSON(out); err != nil {
		t.Errorf("re-encoded indicator invalid: %v\n%s", err, out)
	}
}

func TestTypedFileExtension(t *testing.T) {
	o, _ := Decode([]byte(baseObjects["file"]))
	var f File
	if err := o.As(&f); err != nil {
		t.Fatal(err)
	}
	arc, ok, err := Extension[ArchiveExt](f.Extensions, "archive-ext")
	if err != nil || !ok || len(arc.ContainsRefs) != 1 {
		t.Errorf("archive-ext: %+v %v %v", arc, ok, err)
	}
	if _, ok, _ := Extension[NTFSExt](f.Extensions, "ntfs-ext"); ok {
		t.Error("ntfs-ext found")
	}
}

func TestCustomProperties(t *testing.T) {
	o, _ := Decode(mutate(t, "indicator", map[string]any{"x_acme_score": 7, "x_acme_tags": []any{"a"}}))
	props, names, err := o.CustomProperties()
	if err != nil || strings.Join(names, ",") != "x_acme_score,x_acme_tags" || string(props["x_acme_score"]) != "7" {
		t.Errorf("%v %v %v", props, names, err)
	}
	o, _ = Decode([]byte(baseObjects["x-custom"]))
	v, _ := o.Typed()
	c := v.(*CustomObject)
	if c.ID != o.ID || string(c.Properties["x_acme_score"]) != "3" {
		t.Errorf("%+v", c)
	}
	_, names, _ = o.CustomProperties()
	if strings.Join(names, ",") != "x_acme_score" {
		t.Errorf("custom object's custom properties %v", names)
	}
}
