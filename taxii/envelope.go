package taxii

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/dragnet-intel/dragnet"
)

// MaxDepth is the deepest nesting of arrays and objects accepted inside one
// STIX object of a posted envelope. Real STIX objects nest a handful of
// levels; the limit keeps hostile input from costing stack or time.
const MaxDepth = 64

// decodeEnvelope reads a TAXII envelope (section 3.7) from r as a stream,
// token by token, and calls each with the position and the exact JSON of
// every element of "objects", so that no more than one object beyond what
// each keeps is held at a time. It checks that the body is one JSON object
// whose "objects" is an array of JSON objects, that every object is valid
// UTF-8 and nests at most MaxDepth levels, and that nothing follows the
// envelope. Errors are EINVALID and say what is wrong and at which byte
// offset of the body; an error from r (e.g. *http.MaxBytesError) is
// returned wrapped. Callers must not store anything before it returns nil:
// a bad envelope changes nothing.
func decodeEnvelope(r io.Reader, each func(i int, raw json.RawMessage) error) error {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err != nil {
		return envelopeError(dec, err, "the request body")
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return dragnet.Errorf(dragnet.EINVALID, "the request body is a JSON %s, not a TAXII envelope (a JSON object)", jsonKind(tok))
	}
	sawObjects := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return envelopeError(dec, err, "the envelope")
		}
		key, _ := tok.(string)
		switch key {
		case "objects":
			if sawObjects {
				return dragnet.Errorf(dragnet.EINVALID, "the envelope has \"objects\" twice (byte offset %d)", dec.InputOffset())
			}
			sawObjects = true
			if err := decodeObjects(dec, each); err != nil {
				return err
			}
		case "more":
			var b bool
			if err := dec.Decode(&b); err != nil {
				return envelopeError(dec, err, "envelope property \"more\" (a boolean)")
			}
		case "next":
			var s string
			if err := dec.Decode(&s); err != nil {
				return envelopeError(dec, err, "envelope property \"next\" (a string)")
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return envelopeError(dec, err, fmt.Sprintf("envelope property %q", key))
			}
			if err := checkValue(skip, dec.InputOffset()-int64(len(skip)), fmt.Sprintf("envelope property %q", key)); err != nil {
				return err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return envelopeError(dec, err, "the envelope")
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return dragnet.Errorf(dragnet.EINVALID, "the request body has data after the envelope (byte offset %d)", dec.InputOffset())
		}
		return envelopeError(dec, err, "the end of the request body")
	}
	return nil
}

// decodeObjects reads the "objects" array, element by element.
func decodeObjects(dec *json.Decoder, each func(int, json.RawMessage) error) error {
	tok, err := dec.Token()
	if err != nil {
		return envelopeError(dec, err, "envelope property \"objects\"")
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return dragnet.Errorf(dragnet.EINVALID, "envelope property \"objects\" is a JSON %s, not an array (byte offset %d)", jsonKind(tok), dec.InputOffset())
	}
	for i := 0; dec.More(); i++ {
		start := dec.InputOffset()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return envelopeError(dec, err, fmt.Sprintf("objects[%d]", i))
		}
		where := fmt.Sprintf("objects[%d]", i)
		if len(raw) == 0 || raw[0] != '{' {
			return dragnet.Errorf(dragnet.EINVALID, "%s is a JSON %s, not an object (byte offset %d)", where, rawKind(raw), start)
		}
		if err := checkValue(raw, start, where); err != nil {
			return err
		}
		if err := each(i, raw); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		return envelopeError(dec, err, "envelope property \"objects\"")
	}
	return nil
}

// checkValue checks that raw (which starts near byte offset base of the
// body) is valid UTF-8 and nests at most MaxDepth levels.
func checkValue(raw []byte, base int64, where string) error {
	if !utf8.Valid(raw) {
		off := 0
		for off < len(raw) {
			r, n := utf8.DecodeRune(raw[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return dragnet.Errorf(dragnet.EINVALID, "%s has invalid UTF-8 at byte %d of the object", where, off)
	}
	depth, inString, escaped := 0, false, false
	for i, c := range raw {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > MaxDepth {
				return dragnet.Errorf(dragnet.EINVALID, "%s nests deeper than %d levels at byte %d of the object", where, MaxDepth, i)
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// envelopeError turns a decoding error into an EINVALID naming where it
// happened; read errors (body too large, connection lost) pass through.
func envelopeError(dec *json.Decoder, err error, where string) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.As(err, &syn):
		return dragnet.Errorf(dragnet.EINVALID, "%s is not valid JSON at byte offset %d: %s", where, syn.Offset, syn.Error())
	case errors.As(err, &typ):
		return dragnet.Errorf(dragnet.EINVALID, "%s has the wrong type: a JSON %s at byte offset %d", where, typ.Value, typ.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return dragnet.Errorf(dragnet.EINVALID, "%s ends early: the request body is cut off at byte offset %d", where, dec.InputOffset())
	}
	// Any other error comes from reading the body (the client went away,
	// or the connection broke): say so without internal detail.
	return dragnet.Errorf(dragnet.EINVALID, "the request body could not be read after byte offset %d", dec.InputOffset())
}

func jsonKind(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			return "array"
		}
		return "object"
	case string:
		return "string"
	case float64, json.Number:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return "value"
}

func rawKind(raw []byte) string {
	if len(raw) == 0 {
		return "value"
	}
	switch raw[0] {
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}
