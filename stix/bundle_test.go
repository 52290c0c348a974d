package stix

import (
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

const bid = `"id":"bundle--0b6c3e5a-6f0e-4d3c-9d1e-3f7a2b8c9d10"`

var bundleCases = []struct {
	name    string
	in      string
	objects int    // objects handed out
	err     string // substring of the error; "" for none
}{
	{"empty objects", `{"type":"bundle",` + bid + `,"objects":[]}`, 0, ""},
	{"no objects", `{"type":"bundle",` + bid + `}`, 0, ""},
	{"null objects", `{"type":"bundle",` + bid + `,"objects":null}`, 0, ""},
	{"two objects", `{"type":"bundle",` + bid + `,"objects":[{"type":"a"},{"type":"b"}]}`, 2, ""},
	{"type after objects", `{"objects":[{"type":"a"}],"type":"bundle"}`, 1, ""},
	{"unknown member kept out", `{"type":"bundle","x_note":{"a":[1]},"objects":[{}]}`, 1, ""},
	{"2.0 bundle", `{"type":"bundle",` + bid + `,"spec_version":"2.0","objects":[{}]}`, 1, ""},
	{"not an object", `[{"type":"bundle"}]`, 0, "must be a JSON object"},
	{"wrong type", `{"type":"indicator","objects":[]}`, 0, `type is "indicator"`},
	{"no type", `{"objects":[]}`, 0, "no type property"},
	{"bad id", `{"type":"bundle","id":"bundle--1","objects":[]}`, 0, "bundle--UUID"},
	{"objects not a list", `{"type":"bundle","objects":{}}`, 0, "must be a list"},
	{"duplicate objects", `{"type":"bundle","objects":[{}],"objects":[{}]}`, 1, "duplicate member"},
	{"truncated", `{"type":"bundle","objects":[{"type":"a"},{"ty`, 1, "at byte"},
	{"trailing data", `{"type":"bundle","objects":[]} {}`, 0, "after the bundle"},
	{"syntax error in object", `{"type":"bundle","objects":[{"type":"a"},{"type" "b"}]}`, 1, "at byte"},
	{"empty input", ``, 0, "unexpected EOF"},
	{"type not string", `{"type":1}`, 0, "must be a string"},
}

func TestDecodeBundle(t *testing.T) {
	for _, c := range bundleCases {
		t.Run(c.name, func(t *testing.T) {
			n := 0
			err := DecodeBundle(strings.NewReader(c.in), func(raw json.RawMessage, i int) error {
				if i != n || !json.Valid(raw) {
					t.Errorf("object %d (index %d): %s", n, i, raw)
				}
				n++
				return nil
			})
			if n != c.objects {
				t.Errorf("%d objects, want %d", n, c.objects)
			}
			switch {
			case c.err == "" && err != nil:
				t.Errorf("error %v", err)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Errorf("error %v, want one containing %q", err, c.err)
			}
		})
	}
}

func TestDecodeBundleKeepsBytes(t *testing.T) {
	obj := `{"type":"x-a",  "z":1, "a" : "\u00e9"}`
	var got string
	err := DecodeBundle(strings.NewReader(`{"type":"bundle","objects":[`+obj+`]}`), func(raw json.RawMessage, _ int) error {
		got = string(raw)
		return nil
	})
	if err != nil || got != obj {
		t.Errorf("got %q, %v; want the bytes sent, %q", got, err, obj)
	}
}

func TestDecodeBundleStopsOnCallbackError(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := DecodeBundle(strings.NewReader(`{"type":"bundle","objects":[{},{},{}]}`), func(json.RawMessage, int) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Errorf("err %v after %d objects", err, n)
	}
}

// countingReader is an endless bundle source: it produces a bundle of n
// copies of one object without ever holding the whole bundle.
type countingReader struct {
	parts [][]byte
	n     int
	i     int
	buf   []byte
}

func (r *countingReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		switch {
		case r.i == 0:
			r.buf = []byte(`{"type":"bundle","objects":[`)
		case r.i <= r.n:
			r.buf = r.parts[0]
			if r.i > 1 {
				r.buf = append([]byte{','}, r.buf...)
			}
		case r.i == r.n+1:
			r.buf = []byte(`]}`)
		default:
			return 0, io.EOF
		}
		r.i++
	}
	k := copy(p, r.buf)
	r.buf = r.buf[k:]
	return k, nil
}

func TestDecodeBundleStreams(t *testing.T) {
	// 100,000 indicators, about 60 MB; the test fails (runs out of the
	// budget below) if the decoder keeps them.
	const n = 100000
	r := &countingReader{parts: [][]byte{benchIndicator(1)}, n: n}
	count := 0
	var peak uint64
	var ms runtime.MemStats
	err := DecodeBundle(r, func(raw json.RawMessage, i int) error {
		count++
		if i%20000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		return nil
	})
	if err != nil || count != n {
		t.Fatalf("%d objects, %v", count, err)
	}
	total := uint64(n * len(benchIndicator(1)))
	if peak > total/4 {
		t.Errorf("heap reached %d bytes decoding a %d-byte bundle", peak, total)
	}
}
