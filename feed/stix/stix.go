// Package stix reads STIX bundles for ingestion: STIX 2.1 bundles as they
// are, STIX 2.0 bundles upgraded to 2.1 (Upgrade20). Every object is
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
		return emit(item("object", data))
	}
	return stix.DecodeBundle(bytes.NewReader(data), func(raw json.RawMessage, i int) error {
		if i&255 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return emit(item(fmt.Sprintf("objects[%d]", i), raw))
	})
}

func item(where string, raw json.RawMessage) *feed.Item {
	up, err := Upgrade20(raw)
	if err != nil {
		return feed.Reject(where, "%v", err)
	}
	o, err := stix.Decode(up)
	if err != nil {
		return feed.Reject(where, "%v", err)
	}
	if err := stix.Validate(o); err != nil {
		return feed.Reject(where, "%v", err)
	}
	return &feed.Item{Where: where, Entry: true, Object: o, Values: observable.Values(o)}
}
