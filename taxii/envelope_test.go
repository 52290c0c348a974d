package taxii

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dragnet-intel/dragnet"
)

func decodeAll(body string) ([]string, error) {
	var got []string
	err := decodeEnvelope(strings.NewReader(body), func(i int, raw json.RawMessage) error {
		got = append(got, string(raw))
		return nil
	})
	return got, err
}

func TestDecodeEnvelope(t *testing.T) {
	tests := []struct {
		body string
		want []string
	}{
		{`{}`, nil},
		{`{"objects":[]}`, nil},
		{`{"objects":[{"a":1}]}`, []string{`{"a":1}`}},
		{`{"more":false,"next":"x","objects":[{"a":1}, {"b":[1,{"c":"}]"}]}],"x-custom":{"k":[1,2]}}`,
			[]string{`{"a":1}`, `{"b":[1,{"c":"}]"}]}`}},
		{" \n{\"objects\":[ {\"a\" : \"\\u00e9\\\"\"} ]}\n ", []string{`{"a" : "\u00e9\""}`}},
		{`{"objects":[{"s":"` + strings.Repeat("[", 100) + `"}]}`, []string{`{"s":"` + strings.Repeat("[", 100) + `"}`}},
	}
	for _, tt := range tests {
		got, err := decodeAll(tt.body)
		if err != nil {
			t.Errorf("decodeEnvelope(%q): %v", tt.body, err)
			continue
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("decodeEnvelope(%q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

func TestDecodeEnvelopeErrors(t *testing.T) {
	deep := `{"objects":[{"a":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}]}`
	tests := []struct{ body, want string }{
		{``, "the request body ends early"},
		{`[]`, "the request body is a JSON array, not a TAXII envelope"},
		{`"objects"`, "the request body is a JSON string, not a TAXII envelope"},
		{`null`, "the request body is a JSON null"},
		{`{"objects":{}}`, `envelope property "objects" is a JSON object, not an array`},
		{`{"objects":"x"}`, `envelope property "objects" is a JSON string, not an array`},
		{`{"objects":[1]}`, "objects[0] is a JSON number, not an object (byte offset 12)"},
		{`{"objects":[{}, "x"]}`, "objects[1] is a JSON string, not an object"},
		{`{"objects":[{}, null]}`, "objects[1] is a JSON null, not an object"},
		{`{"objects":[{"a":1}`, "ends early"},
		{`{"objects":[{"a":}]}`, "objects[0] is not valid JSON at byte offset"},
		{`{"objects":[{"a":1}]`, "ends early"},
		{`{"objects":[{"a":1}]}}`, "is not valid JSON"},
		{`{"objects":[{"a":1}]} {}`, "data after the envelope"},
		{`{"objects":[],"objects":[]}`, `"objects" twice`},
		{`{"more":"yes"}`, `envelope property "more" (a boolean) has the wrong type`},
		{`{"next":5}`, `envelope property "next" (a string) has the wrong type`},
		{`{"objects":[{"a":"` + "\xff" + `"}]}`, "objects[0] has invalid UTF-8 at byte 6 of the object"},
		{`{"x":"` + "\xc3" + `"}`, `envelope property "x" has invalid UTF-8`},
		{deep, "objects[0] nests deeper than 64 levels"},
		{`{"objects":[` + strings.Repeat("[", 20000) + `]}`, "not valid JSON"},
		{`{objects:[]}`, "is not valid JSON"},
	}
	for _, tt := range tests {
		_, err := decodeAll(tt.body)
		if err == nil {
			t.Errorf("decodeEnvelope(%.60q): no error, want %q", tt.body, tt.want)
			continue
		}
		if dragnet.ErrorCode(err) != dragnet.EINVALID || !strings.Contains(dragnet.ErrorMessage(err), tt.want) {
			t.Errorf("decodeEnvelope(%.60q) = %v, want EINVALID containing %q", tt.body, err, tt.want)
		}
	}
}

func TestDecodeEnvelopeTooLarge(t *testing.T) {
	rec := httptest.NewRecorder()
	body := http.MaxBytesReader(rec, io.NopCloser(strings.NewReader(`{"objects":[{"a":"`+strings.Repeat("x", 100)+`"}]}`)), 50)
	err := decodeEnvelope(body, func(int, json.RawMessage) error { return nil })
	var mbe *http.MaxBytesError
	if !errors.As(err, &mbe) {
		t.Fatalf("decodeEnvelope over the limit = %v, want *http.MaxBytesError", err)
	}
}

// FuzzDecodeEnvelope checks that no body panics the decoder, that every
// error is a caller-safe EINVALID, and that every object handed on is a
// JSON object of valid UTF-8.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"objects":[]}`, `{"objects":[{"a":1}]}`, `{"more":true,"next":"n","objects":[{"id":"x"}]}`,
		`[]`, `{"objects":[1]}`, `{"objects":[{"a":"` + "\xff" + `"}]}`, `{"objects":[[[[]]]]}`,
		`{"objects":[{"a":1}]} {}`, `{"x":{"y":[1,2,{"z":null}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		err := decodeEnvelope(strings.NewReader(string(body)), func(i int, raw json.RawMessage) error {
			if !json.Valid(raw) || raw[0] != '{' {
				t.Fatalf("objects[%d] handed on is not a JSON object: %q", i, raw)
			}
			decodeObject(raw) // must not panic either
			return nil
		})
		if err != nil && dragnet.ErrorCode(err) != dragnet.EINVALID {
			t.Fatalf("decodeEnvelope(%q): %v is not EINVALID", body, err)
		}
	})
}
