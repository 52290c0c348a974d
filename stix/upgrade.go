package stix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// typesProperty names, for the 2.0 types whose required labels became an
// optional *_types property in 2.1, that property.
var typesProperty = map[string]string{
	"indicator":    "indicator_types",
	"malware":      "malware_types",
	"report":       "report_types",
	"threat-actor": "threat_actor_types",
	"tool":         "tool_types",
}

// renamed20 maps, per cyber-observable type, properties STIX 2.0 named
// differently to their 2.1 names.
var renamed20 = map[string]map[string]string{
	"file":                 {"created": "ctime", "modified": "mtime", "accessed": "atime"},
	"directory":            {"created": "ctime", "modified": "mtime", "accessed": "atime"},
	"process":              {"created": "created_time", "binary_ref": "image_ref"},
	"windows-registry-key": {"modified": "modified_time"},
}

// Upgrade20 turns one STIX 2.0 object into its STIX 2.1 form. It returns
// the upgraded object and, for an observed-data object, the
// cyber-observable objects it carried, now top-level SCOs; the caller
// stores them beside it (and validates all of them). An object that is
// already STIX 2.1 (spec_version "2.1") is returned unchanged.
//
// What it changes (STIX 2.1 section 1.6, "Changes from earlier versions"):
//   - spec_version "2.1" is added to every object but a bundle;
//   - a fixed TLP 1.0 marking definition becomes its STIX 2.1 form (which
//     adds its name, 7.2.1.4);
//   - created and modified of second precision get ".000" (2.1 requires
//     millisecond precision, 3.2);
//   - the labels of indicator, malware, report, threat-actor and tool,
//     which 2.0 used as their type vocabulary, move to indicator_types,
//     malware_types, report_types, threat_actor_types and tool_types;
//   - a malware gets is_family true (2.1 requires it; 2.0 malware objects
//     describe families far more often than single samples);
//   - an indicator gets pattern_type "stix" and pattern_version "2.0";
//   - observed-data: the 2.0 objects dictionary (deprecated in 2.1) is
//     replaced by object_refs. Each observable in it becomes an SCO with
//     spec_version "2.1" and a deterministic id (SCOID; a UUIDv4 for types
//     with no ID contributing properties), its references by dictionary key
//     rewritten to those ids (at any depth: extensions, MIME parts), and its
//     2.0 property names mapped (file/directory created, modified,
//     accessed → ctime, mtime, atime; process created → created_time,
//     binary_ref → image_ref; windows-registry-key modified →
//     modified_time). Properties 2.1 dropped (e.g. process name and
//     arguments) are kept as they are: valid custom properties by name, and
//     nothing the producer said is lost. A reference to a key the
//     dictionary lacks, or a cycle of references, is an error.
//
// The result is re-encoded from the parsed object (members in name order,
// numbers as written, no HTML escaping); nothing else changes.
func Upgrade20(raw []byte) (json.RawMessage, []json.RawMessage, error) {
	doc, err := parseJSON(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("upgrading STIX 2.0 object: %w", err)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("upgrading STIX 2.0 object: not a JSON object")
	}
	if sv, _ := obj["spec_version"].(string); sv == "2.1" {
		return json.RawMessage(raw), nil, nil
	}
	typ, _ := obj["type"].(string)
	id, _ := obj["id"].(string)
	if typ == "" {
		return nil, nil, fmt.Errorf("upgrading STIX 2.0 object %s: no type", id)
	}
	if typ == "bundle" {
		return nil, nil, fmt.Errorf("upgrading STIX 2.0 object %s: upgrade the objects of a bundle one by one", id)
	}
	if typ == "marking-definition" && IsTLPMarking(id) {
		// A fixed TLP marking: its 2.1 form is fixed too (7.2.1.4).
		return TLPMarkingDefinition(id).Raw, nil, nil
	}
	obj["spec_version"] = "2.1"
	for _, name := range [...]string{"created", "modified"} {
		if s, ok := obj[name].(string); ok && len(s) == 20 && s[19] == 'Z' {
			obj[name] = s[:19] + ".000Z"
		}
	}
	if tp, ok := typesProperty[typ]; ok {
		if labels, ok := obj["labels"]; ok {
			if _, has := obj[tp]; !has {
				obj[tp] = labels
				delete(obj, "labels")
			}
		}
	}
	switch typ {
	case "malware":
		if _, ok := obj["is_family"]; !ok {
			obj["is_family"] = true
		}
	case "indicator":
		if _, ok := obj["pattern_type"]; !ok {
			obj["pattern_type"] = "stix"
			if _, ok := obj["pattern_version"]; !ok {
				obj["pattern_version"] = "2.0"
			}
		}
	}
	var scos []json.RawMessage
	if typ == "observed-data" {
		if dict, ok := obj["objects"].(map[string]any); ok {
			ids, objs, err := upgradeObservables(dict)
			if err != nil {
				return nil, nil, fmt.Errorf("upgrading STIX 2.0 object %s: objects: %w", id, err)
			}
			delete(obj, "objects")
			refs := make([]any, len(ids))
			for i, s := range ids {
				refs[i] = s
			}
			obj["object_refs"] = refs
			for _, o := range objs {
				b, err := encodeJSON(o)
				if err != nil {
					return nil, nil, fmt.Errorf("upgrading STIX 2.0 object %s: %w", id, err)
				}
				scos = append(scos, b)
			}
		}
	}
	out, err := encodeJSON(obj)
	if err != nil {
		return nil, nil, fmt.Errorf("upgrading STIX 2.0 object %s: %w", id, err)
	}
	return out, scos, nil
}

// upgradeObservables turns a 2.0 observable dictionary into 2.1 SCOs; it
// returns their ids and objects in dictionary-key order (numeric keys
// numerically).
func upgradeObservables(dict map[string]any) ([]string, []map[string]any, error) {
	keys := make([]string, 0, len(dict))
	for k := range dict {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if len(a) != len(b) && allDigits(a) && allDigits(b) {
			return len(a) < len(b)
		}
		return a < b
	})
	u := &observableUpgrader{dict: dict, ids: map[string]string{}, busy: map[string]bool{}}
	var ids []string
	var objs []map[string]any
	for _, k := range keys {
		id, err := u.resolve(k)
		if err != nil {
			return nil, nil, err
		}
		ids = append(ids, id)
		objs = append(objs, u.done[k])
	}
	return ids, objs, nil
}

type observableUpgrader struct {
	dict map[string]any
	ids  map[string]string         // key → new id
	done map[string]map[string]any // key → upgraded object
	busy map[string]bool           // keys being resolved (cycle check)
}

// resolve upgrades the observable at key, after those it references (its
// id may depend on theirs), and returns its new id.
func (u *observableUpgrader) resolve(key string) (string, error) {
	if id, ok := u.ids[key]; ok {
		return id, nil
	}
	if u.busy[key] {
		return "", fmt.Errorf("observable %q is part of a reference cycle", key)
	}
	src, ok := u.dict[key].(map[string]any)
	if !ok {
		return "", fmt.Errorf("observable %q is not an object", key)
	}
	typ, _ := src["type"].(string)
	if !validTypeName(typ) {
		return "", fmt.Errorf("observable %q has no valid type", key)
	}
	u.busy[key] = true
	defer delete(u.busy, key)
	o := make(map[string]any, len(src)+2)
	for k, v := range src {
		if n, ok := renamed20[typ][k]; ok {
			if _, taken := src[n]; !taken {
				k = n
			}
		}
		o[k] = v
	}
	rewritten, err := u.rewriteRefs(o, "")
	if err != nil {
		return "", fmt.Errorf("observable %q: %w", key, err)
	}
	o = rewritten.(map[string]any)
	o["spec_version"] = "2.1"
	id, err := SCOID(typ, o)
	if err != nil {
		// Custom observable types and those without ID contributing
		// properties get a random id.
		id = NewID(typ)
	}
	o["id"] = id
	u.ids[key] = id
	if u.done == nil {
		u.done = map[string]map[string]any{}
	}
	u.done[key] = o
	return id, nil
}

// rewriteRefs returns v with the values of *_ref and *_refs members turned
// from dictionary keys into the referenced objects' new ids.
func (u *observableUpgrader) rewriteRefs(v any, name string) (any, error) {
	isRef := strings.HasSuffix(name, "_ref")
	isRefs := strings.HasSuffix(name, "_refs")
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			r, err := u.rewriteRefs(e, k)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			elemName := ""
			if isRefs {
				elemName = "_ref"
			}
			r, err := u.rewriteRefs(e, elemName)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case string:
		if !isRef {
			return v, nil
		}
		if _, ok := u.dict[v]; !ok {
			return nil, fmt.Errorf("reference %q names no observable of the dictionary", v)
		}
		return u.resolve(v)
	}
	return v, nil
}

// encodeJSON encodes a parsed value without HTML escaping and without the
// encoder's trailing newline.
func encodeJSON(v any) (json.RawMessage, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return json.RawMessage(bytes.TrimRight(b.Bytes(), "\n")), nil
}
