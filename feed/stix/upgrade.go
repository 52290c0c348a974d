package stix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/dragnet-intel/dragnet/stix"
)

// typesProperty names the 2.1 property that replaces the labels a STIX
// 2.0 object of that type had to carry (2.1 section 4 keeps labels as a
// common property and moves the typed vocabulary to *_types).
var typesProperty = map[string]string{
	"indicator": "indicator_types", "malware": "malware_types", "threat-actor": "threat_actor_types",
	"tool": "tool_types", "report": "report_types",
}

// Upgrade20 returns a STIX 2.0 object as STIX 2.1, and any other object
// unchanged (byte for byte). An object is 2.0 when it has no spec_version
// (2.0 put it on the bundle only). The upgrade:
//
//   - sets spec_version "2.1";
//   - moves the required labels of indicator, malware, threat-actor, tool
//     and report to indicator_types, malware_types, ... (2.1 section 4);
//   - gives indicators pattern_type "stix" and malware is_family true (both
//     required in 2.1, implied in 2.0);
//   - writes created and modified with millisecond precision (2.1 section
//     3.2 requires it; 2.0 allowed seconds);
//   - leaves everything else, custom properties included, as it was.
func Upgrade20(raw []byte) ([]byte, error) {
	var probe struct {
		SpecVersion *string `json:"spec_version"`
		Type        string  `json:"type"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("decoding STIX object: %w", err)
	}
	if probe.SpecVersion != nil || probe.Type == "" {
		return raw, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("decoding STIX object: %w", err)
	}
	obj["spec_version"] = "2.1"
	if p, ok := typesProperty[probe.Type]; ok {
		if _, has := obj[p]; !has {
			if l, ok := obj["labels"]; ok {
				obj[p] = l
				delete(obj, "labels")
			}
		}
	}
	switch probe.Type {
	case "indicator":
		if _, ok := obj["pattern_type"]; !ok {
			obj["pattern_type"] = "stix"
		}
	case "malware":
		if _, ok := obj["is_family"]; !ok {
			obj["is_family"] = true
		}
	}
	for _, k := range []string{"created", "modified"} {
		s, ok := obj[k].(string)
		if !ok {
			continue
		}
		t, err := stix.ParseTimestamp(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		if !strings.Contains(s, ".") {
			obj[k] = stix.FormatTimestamp(t)
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(obj); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
