package stix

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// DecodeBundle reads one STIX bundle (section 8) from r and calls fn with
// each element of its objects array, in order, as the exact bytes sent, and
// its index. It streams: only one object is held at a time, never the whole
// bundle, so memory stays bounded by the largest object. The raw message
// passed to fn is fn's to keep.
//
// The bundle must be a JSON object whose type is "bundle" and whose id, if
// present, is bundle--UUID; objects may be absent or empty. An error from fn
// stops decoding and is returned as is. Malformed JSON is reported with its
// byte offset; objects already passed to fn stay passed (the caller decides
// what a half-read bundle means). DecodeBundle does not validate the
// objects: call Decode and Validate on each.
func DecodeBundle(r io.Reader, fn func(raw json.RawMessage, index int) error) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	fail := func(format string, args ...any) error {
		return fmt.Errorf("bundle: at byte %d: %s", dec.InputOffset(), fmt.Sprintf(format, args...))
	}
	tok, err := dec.Token()
	if err != nil {
		return bundleSyntax(dec, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fail("a bundle must be a JSON object")
	}
	seen := map[string]bool{}
	var typ, id string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return bundleSyntax(dec, err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return fail("duplicate member name %q", key)
		}
		seen[key] = true
		switch key {
		case "type", "id":
			tok, err := dec.Token()
			if err != nil {
				return bundleSyntax(dec, err)
			}
			s, ok := tok.(string)
			if !ok {
				return fail("bundle %s must be a string", key)
			}
			if key == "type" {
				typ = s
				if typ != "bundle" {
					return fail("type is %q, not \"bundle\"", typ)
				}
			} else {
				id = s
				if t, ok := validIdentifier(id); !ok || t != "bundle" {
					return fail("bundle id %q is not of the form bundle--UUID", id)
				}
			}
		case "objects":
			tok, err := dec.Token()
			if err != nil {
				return bundleSyntax(dec, err)
			}
			if tok == nil {
				continue
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return fail("objects must be a list")
			}
			for i := 0; dec.More(); i++ {
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return bundleSyntax(dec, err)
				}
				if err := fn(raw, i); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // ']'
				return bundleSyntax(dec, err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return bundleSyntax(dec, err)
			}
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return bundleSyntax(dec, err)
	}
	if typ == "" {
		return fail("the bundle has no type property")
	}
	if _, err := dec.Token(); err != io.EOF {
		return fail("unexpected data after the bundle")
	}
	return nil
}

func bundleSyntax(dec *json.Decoder, err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("bundle: at byte %d: %w", dec.InputOffset(), err)
}
