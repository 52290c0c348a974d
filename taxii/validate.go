package taxii

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/observable"
	"github.com/dragnet-intel/dragnet/stix"
)

// decodeObject decodes and validates one posted STIX object: the STIX 2.1
// rules and official schemas (stix.Validate), then the indicator pattern
// (observable.Validate). On failure it returns the object's id as far as
// it can be read (for the status resource) and an EINVALID error whose
// message names the property path and the rule broken.
func decodeObject(raw json.RawMessage) (*stix.Object, string, error) {
	o, _, id, err := checkObject(raw)
	return o, id, err
}

// checkObject is decodeObject that also returns the object's observable
// values (observable.Values), found in the same pass as the pattern check.
func checkObject(raw json.RawMessage) (*stix.Object, []dragnet.Value, string, error) {
	o, err := stix.Decode(raw)
	if err != nil {
		id := rawID(raw)
		msg := strings.TrimPrefix(err.Error(), "decoding STIX object: ")
		msg = strings.TrimPrefix(msg, "object "+id+": ")
		return nil, nil, id, dragnet.Errorf(dragnet.EINVALID, "%s", msg)
	}
	if err := stix.Validate(o); err != nil {
		return nil, nil, o.ID, dragnet.Errorf(dragnet.EINVALID, "%s", validationMessage(err))
	}
	values, err := observable.ValidateValues(o)
	if err != nil {
		return nil, nil, o.ID, dragnet.Errorf(dragnet.EINVALID, "%s", strings.TrimPrefix(dragnet.ErrorMessage(err), "indicator "+o.ID+": "))
	}
	return o, values, o.ID, nil
}

// validationMessage lists the problems stix.Validate found as
// "path: message (rule R)", separated by "; ". The object id is not
// repeated: the status detail carries it.
func validationMessage(err error) string {
	var es stix.ValidationErrors
	if !errors.As(err, &es) {
		return err.Error()
	}
	parts := make([]string, len(es))
	for i, e := range es {
		var b strings.Builder
		if e.Path != "" {
			b.WriteString(e.Path)
			b.WriteString(": ")
		}
		b.WriteString(e.Message)
		b.WriteString(" (rule ")
		b.WriteString(e.Rule)
		b.WriteString(")")
		parts[i] = b.String()
	}
	return strings.Join(parts, "; ")
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
