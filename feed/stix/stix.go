// Package stix reads STIX bundles for ingestion: STIX 2.1 bundles as they
// are, STIX 2.0 objects upgraded to 2.1 (stix.Upgrade20, observed-data
// observables becoming SCOs). Every object is
// validated (stix.Validate) and carries the observable values
// observable.Values finds in it; an object that fails is rejected with its
// path in the bundle ("objects[12]") and the validator's reasons, and the
// rest of the bundle still loads. Objects keep their own ids and markings:
// a STIX object is already what Dragnet stores.
package stix

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/dragnet-intel/dragnet/feed"
	"github.com/dragnet-intel/dragnet/observable"
	"github.com/dragnet-intel/dragnet/stix"
)

// Decoder decodes one STIX 2.0 or 2.1 bundle. It implements feed.Decoder.
type Decoder struct{}

var _ feed.Decoder = (*Decoder)(nil)

// Decode implements feed.Decoder. The input is a bundle, or a single STIX
// object. Input that is not JSON, or neither, is an error (objects already
// emitted stay emitted); a bad object is a rejected Item.
func (d *Decoder) Decode(ctx context.Context, r io.Reader, b *feed.Builder, emit feed.Emit) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("reading STIX: %w", err)
	}
	var probe struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &probe); err == nil && probe.Type != "bundle" && probe.Type != "" {
		for _, it := range items("object", data) {
			if err := emit(it); err != nil {
				return err
			}
		}
		return nil
	}
	return stix.DecodeBundle(bytes.NewReader(data), func(raw json.RawMessage, i int) error {
		if i&255 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		for _, it := range items(fmt.Sprintf("objects[%d]", i), raw) {
			if err := emit(it); err != nil {
				return err
			}
		}
		return nil
	})
}

// is20 reports whether raw is a STIX 2.0 object: no spec_version, and not
// a cyber-observable (2.1 SCOs may omit it; 2.0 had no top-level SCOs).
func is20(raw []byte) bool {
	var probe struct {
		SpecVersion *string `json:"spec_version"`
		Type        string  `json:"type"`
	}
	if json.Unmarshal(raw, &probe) != nil {
		return false
	}
	return probe.SpecVersion == nil && probe.Type != "" && stix.KindOf(probe.Type) != stix.KindSCO
}

// Items decodes and validates one STIX object (as a bundle or a TAXII
// envelope holds it) into Items: the object, and the SCOs a STIX 2.0
// observed-data carried. where names the object in its input.
func Items(where string, raw json.RawMessage) []*feed.Item { return items(where, raw) }

// items decodes and validates one object of a bundle (upgrading a 2.0
// one, whose observed-data may yield SCOs too). The first item is the
// entry.
func items(where string, raw json.RawMessage) []*feed.Item {
	objs := []json.RawMessage{raw}
	if is20(raw) {
		up, scos, err := stix.Upgrade20(raw)
		if err != nil {
			return []*feed.Item{feed.Reject(where, "upgrading STIX 2.0: %v", err)}
		}
		objs = append([]json.RawMessage{up}, scos...)
	}
	out := make([]*feed.Item, 0, len(objs))
	for i, r := range objs {
		w := where
		if i > 0 {
			w = fmt.Sprintf("%s (observable %d)", where, i)
		}
		o, err := stix.Decode(r)
		if err == nil {
			err = stix.Validate(o)
		}
		if err != nil {
			it := feed.Reject(w, "%v", err)
			it.Entry = i == 0
			out = append(out, it)
			continue
		}
		out = append(out, &feed.Item{Where: w, Entry: i == 0, Object: o, Values: observable.Values(o)})
	}
	return out
}
