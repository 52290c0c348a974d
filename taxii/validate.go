package taxii

import (
	"encoding/json"
	"strings"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/observable"
	"github.com/dragnet-intel/dragnet/stix"
)

// decodeObject decodes and validates one posted STIX object. On failure
// it returns the object's id as far as it can be read (for the status
// resource) and an EINVALID error whose message names the property path
// and the rule broken.
func decodeObject(raw json.RawMessage) (*stix.Object, string, error) {
	o, err := stix.Decode(raw)
	if err != nil {
		id := rawID(raw)
		msg := strings.TrimPrefix(err.Error(), "decoding STIX object: ")
		msg = strings.TrimPrefix(msg, "object "+id+": ")
		return nil, id, dragnet.Errorf(dragnet.EINVALID, "%s", msg)
	}
	if err := validateObject(o); err != nil {
		return nil, o.ID, err
	}
	if err := observable.Validate(o); err != nil {
		return nil, o.ID, dragnet.Errorf(dragnet.EINVALID, "%s", strings.TrimPrefix(dragnet.ErrorMessage(err), "indicator "+o.ID+": "))
	}
	return o, o.ID, nil
}

// validateObject applies the STIX 2.1 rules every object must meet before
// it is stored: a type, an id of the form type--UUID whose prefix is the
// type, spec_version 2.1 where present (and present wherever created is,
// i.e. on every SDO, SRO and meta object), and modified not before
// created.
func validateObject(o *stix.Object) error {
	if rule := validType(o.Type); o.Type == "" || rule != "" {
		return dragnet.Errorf(dragnet.EINVALID, "type: %q is not a STIX type (required; 3 to 250 characters a-z, 0-9, -)", o.Type)
	}
	if o.ID == "" {
		return dragnet.Errorf(dragnet.EINVALID, "id: required")
	}
	typ, uuid, ok := strings.Cut(o.ID, "--")
	if !ok || !validUUID(uuid) {
		return dragnet.Errorf(dragnet.EINVALID, "id: %q is not of the form type--UUID", o.ID)
	}
	if typ != o.Type {
		return dragnet.Errorf(dragnet.EINVALID, "id: prefix %q is not the object's type %q", typ, o.Type)
	}
	switch {
	case o.SpecVersion == "" && !o.Created.IsZero():
		return dragnet.Errorf(dragnet.EINVALID, "spec_version: required on objects with created")
	case o.SpecVersion != "" && o.SpecVersion != "2.1":
		return dragnet.Errorf(dragnet.EINVALID, "spec_version: %q is not 2.1", o.SpecVersion)
	}
	if !o.Modified.IsZero() && !o.Created.IsZero() && o.Modified.Before(o.Created) {
		return dragnet.Errorf(dragnet.EINVALID, "modified: earlier than created")
	}
	return nil
}

// rawID reads the id of an object that failed to decode, if it has a
// string id.
func rawID(raw json.RawMessage) string {
	var h struct {
		ID any `json:"id"`
	}
	if json.Unmarshal(raw, &h) != nil {
		return ""
	}
	s, _ := h.ID.(string)
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}
