package feed

import (
	"fmt"
	"strings"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
)

// Checker says whether a value is on a warninglist, and on which. The
// warninglist package's Set implements it.
type Checker interface {
	Check(v dragnet.Value) (list string, ok bool)
}

// Builder makes the STIX objects of one ingest run. Its fields are read
// only; one Builder may be shared by the decoders of a run.
type Builder struct {
	// Scope distinguishes who ingests: the ingesting organisation's
	// dragnet.Org.IDScope (its identity and secret IDKey). Two members
	// loading the same public feed get different ids, so neither versions
	// the other's objects, and no one else can compute a member's ids to
	// probe whether it holds an entry.
	Scope string
	// Source names the input (feed name, URL or file name). Ids are derived
	// from (Scope, Source, entry key).
	Source string
	// Now is the time of the run, used where the source gives no time.
	Now time.Time
	// Markings are the object_marking_refs given to every object that
	// carries none of its own (the --tlp level, say). Nil: none (the
	// collection's default TLP applies).
	Markings []string
	// Labels are added to every indicator and observed-data.
	Labels []string
	// Warninglists, when set, flags values on a warninglist: they become
	// observables (an SCO and an observed-data), not indicators, unless
	// IndicateWarninglisted is set.
	Warninglists          Checker
	IndicateWarninglisted bool
}

// Meta describes the entry an object is built from. Zero fields take
// defaults: Created is the run's time, Modified is Created, ValidFrom is
// Created.
type Meta struct {
	Key            string // id key within the source; default: the value
	Name           string
	Description    string
	Labels         []string
	Created        time.Time
	Modified       time.Time
	ValidFrom      time.Time
	ValidUntil     time.Time
	Markings       []string // nil: the Builder's
	CreatedByRef   string
	IndicatorTypes []string // default: malicious-activity
	Revoked        bool
	Observable     bool           // not for detection (MISP to_ids false): an observable, not an indicator
	Extra          map[string]any // custom (x_) properties
}

// ID returns the deterministic id of an object of type typ for key: a
// UUIDv5 in Dragnet's namespace of (Scope, Source, typ, key).
func (b *Builder) ID(typ, key string) string {
	return typ + "--" + uuid5(namespaceBytes, b.Scope, "\x1f", b.Source, "\x1f", typ, "\x1f", key)
}

func (b *Builder) now() time.Time {
	if b.Now.IsZero() {
		return time.Now().UTC().Truncate(time.Millisecond)
	}
	return b.Now.UTC()
}

// times fills the defaults of m and reports whether the run's time was used.
func (b *Builder) times(m *Meta) bool {
	run := false
	if m.Created.IsZero() {
		m.Created = b.now()
		run = true
	}
	if m.Modified.IsZero() || m.Modified.Before(m.Created) {
		m.Modified = m.Created
	}
	if m.ValidFrom.IsZero() {
		m.ValidFrom = m.Created
	}
	if m.Markings == nil {
		m.Markings = b.Markings
	}
	return run
}

func (b *Builder) labels(m *Meta) []string {
	if len(b.Labels) == 0 {
		return m.Labels
	}
	out := append([]string(nil), m.Labels...)
	for _, l := range b.Labels {
		if !contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Value makes the objects for one entry carrying a single value: an
// indicator with the value's pattern, or — when the value is on a
// warninglist or m.Observable is set — an SCO and an observed-data. The
// first Item returned is the entry.
func (b *Builder) Value(where string, v dragnet.Value, m Meta) []*Item {
	if m.Key == "" {
		m.Key = v.String()
	}
	list := ""
	if b.Warninglists != nil {
		list, _ = b.Warninglists.Check(v)
	}
	if m.Observable || (list != "" && !b.IndicateWarninglisted) {
		items := b.Observable(where, []map[string]any{SCO(v)}, []dragnet.Value{v}, m)
		items[0].Warninglisted = list
		return items
	}
	it := b.Indicator(where, Pattern(v), []dragnet.Value{v}, m)
	it.Warninglisted = list
	return []*Item{it}
}

type indicatorJSON struct {
	Type              string         `json:"type"`
	SpecVersion       string         `json:"spec_version"`
	ID                string         `json:"id"`
	Created           string         `json:"created"`
	Modified          string         `json:"modified"`
	CreatedByRef      string         `json:"created_by_ref,omitempty"`
	Revoked           bool           `json:"revoked,omitempty"`
	Name              string         `json:"name,omitempty"`
	Description       string         `json:"description,omitempty"`
	IndicatorTypes    []string       `json:"indicator_types,omitempty"`
	Pattern           string         `json:"pattern"`
	PatternType       string         `json:"pattern_type"`
	PatternVersion    string         `json:"pattern_version"`
	ValidFrom         string         `json:"valid_from"`
	ValidUntil        string         `json:"valid_until,omitempty"`
	Labels            []string       `json:"labels,omitempty"`
	ObjectMarkingRefs []string       `json:"object_marking_refs,omitempty"`
	Extra             map[string]any `json:"-"`
}

// Indicator makes an indicator entry with a STIX pattern and the values it
// matches.
func (b *Builder) Indicator(where, pattern string, values []dragnet.Value, m Meta) *Item {
	if m.Key == "" && len(values) > 0 {
		m.Key = values[0].String()
	}
	run := b.times(&m)
	types := m.IndicatorTypes
	if types == nil {
		types = []string{"malicious-activity"}
	}
	// Most entries have one time for all three: formatted once.
	created := stix.FormatTimestamp(m.Created)
	modified, validFrom := created, created
	if !m.Modified.Equal(m.Created) {
		modified = stix.FormatTimestamp(m.Modified)
	}
	if !m.ValidFrom.Equal(m.Created) {
		validFrom = stix.FormatTimestamp(m.ValidFrom)
	}
	ind := indicatorJSON{
		Type: "indicator", SpecVersion: "2.1", ID: b.ID("indicator", m.Key),
		Created: created, Modified: modified,
		CreatedByRef: m.CreatedByRef, Revoked: m.Revoked,
		Name: m.Name, Description: m.Description, IndicatorTypes: types,
		Pattern: pattern, PatternType: "stix", PatternVersion: "2.1",
		ValidFrom: validFrom, Labels: b.labels(&m), ObjectMarkingRefs: m.Markings,
	}
	if !m.ValidUntil.IsZero() && m.ValidUntil.After(m.ValidFrom) {
		ind.ValidUntil = stix.FormatTimestamp(m.ValidUntil)
	}
	if ind.Name == "" && len(values) > 0 {
		ind.Name = values[0].Value
	}
	raw, err := encodeIndicator(&ind, m.Extra)
	if err != nil {
		return Reject(where, "building indicator: %v", err)
	}
	return &Item{Where: where, Entry: true, Values: values, RunTimes: run, Object: &stix.Object{
		Type: "indicator", ID: ind.ID, SpecVersion: "2.1", Created: m.Created, Modified: m.Modified,
		Revoked: m.Revoked, CreatedByRef: m.CreatedByRef, ObjectMarkingRefs: m.Markings, Raw: raw,
	}}
}

// Observable makes an observed-data entry over the given SCOs (each a map
// with at least "type"; SCO fills the rest), followed by the SCOs
// themselves. The first Item is the entry.
func (b *Builder) Observable(where string, scos []map[string]any, values []dragnet.Value, m Meta) []*Item {
	if m.Key == "" && len(values) > 0 {
		m.Key = values[0].String()
	}
	run := b.times(&m)
	items := make([]*Item, 0, len(scos)+1)
	refs := make([]string, 0, len(scos))
	items = append(items, nil)
	for _, sco := range scos {
		raw, err := marshal(sco)
		if err != nil {
			return []*Item{Reject(where, "building %v: %v", sco["type"], err)}
		}
		id, _ := sco["id"].(string)
		typ, _ := sco["type"].(string)
		refs = append(refs, id)
		items = append(items, &Item{Where: where, Values: scoValues(sco, values), Object: &stix.Object{
			Type: typ, ID: id, SpecVersion: "2.1", Raw: raw,
		}})
	}
	od := map[string]any{
		"type": "observed-data", "spec_version": "2.1", "id": b.ID("observed-data", m.Key),
		"created": stix.FormatTimestamp(m.Created), "modified": stix.FormatTimestamp(m.Modified),
		"first_observed": stix.FormatTimestamp(m.ValidFrom), "last_observed": stix.FormatTimestamp(maxTime(m.ValidFrom, m.ValidUntil)),
		"number_observed": 1, "object_refs": refs,
	}
	setOpt(od, "created_by_ref", m.CreatedByRef)
	setOpt(od, "labels", b.labels(&m))
	setOpt(od, "object_marking_refs", m.Markings)
	if m.Revoked {
		od["revoked"] = true
	}
	for k, v := range m.Extra {
		od[k] = v
	}
	raw, err := marshal(od)
	if err != nil {
		return []*Item{Reject(where, "building observed-data: %v", err)}
	}
	items[0] = &Item{Where: where, Entry: true, Values: values, RunTimes: run, Object: &stix.Object{
		Type: "observed-data", ID: od["id"].(string), SpecVersion: "2.1", Created: m.Created, Modified: m.Modified,
		Revoked: m.Revoked, CreatedByRef: m.CreatedByRef, ObjectMarkingRefs: m.Markings, Raw: raw,
	}}
	return items
}

// scoValues returns the values among vs that the SCO carries.
func scoValues(sco map[string]any, vs []dragnet.Value) []dragnet.Value {
	var out []dragnet.Value
	for _, v := range vs {
		if s, ok := sco["value"].(string); ok && strings.EqualFold(s, v.Value) {
			out = append(out, v)
			continue
		}
		if h, ok := sco["hashes"].(map[string]any); ok {
			for _, hv := range h {
				if s, ok := hv.(string); ok && strings.EqualFold(s, v.Value) {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func setOpt(m map[string]any, k string, v any) {
	switch x := v.(type) {
	case string:
		if x == "" {
			return
		}
	case []string:
		if len(x) == 0 {
			return
		}
	}
	m[k] = v
}

// SDO makes a domain object or relationship (not an entry) of type typ with
// the given type-specific properties; the common ones come from m. Its id
// is derived from key.
func (b *Builder) SDO(where, typ, key string, props map[string]any, m Meta) *Item {
	b.times(&m)
	obj := map[string]any{
		"type": typ, "spec_version": "2.1", "id": b.ID(typ, key),
		"created": stix.FormatTimestamp(m.Created), "modified": stix.FormatTimestamp(m.Modified),
	}
	setOpt(obj, "created_by_ref", m.CreatedByRef)
	setOpt(obj, "labels", m.Labels)
	setOpt(obj, "object_marking_refs", m.Markings)
	if m.Revoked {
		obj["revoked"] = true
	}
	for k, v := range props {
		obj[k] = v
	}
	for k, v := range m.Extra {
		obj[k] = v
	}
	raw, err := marshal(obj)
	if err != nil {
		return Reject(where, "building %s: %v", typ, err)
	}
	return &Item{Where: where, Object: &stix.Object{
		Type: typ, ID: obj["id"].(string), SpecVersion: "2.1", Created: m.Created, Modified: m.Modified,
		Revoked: m.Revoked, CreatedByRef: m.CreatedByRef, ObjectMarkingRefs: m.Markings, Raw: raw,
	}}
}

// Relationship makes a relationship object from source to target.
func (b *Builder) Relationship(where, relType, source, target string, m Meta) *Item {
	return b.SDO(where, "relationship", relType+"\x1f"+source+"\x1f"+target, map[string]any{
		"relationship_type": relType, "source_ref": source, "target_ref": target,
	}, m)
}

// Pattern returns the STIX pattern that matches v.
func Pattern(v dragnet.Value) string {
	return "[" + Comparison(v) + "]"
}

// Comparison returns the comparison expression (without brackets) that
// matches v.
func Comparison(v dragnet.Value) string {
	q := Quote(v.Value)
	switch v.Kind {
	case dragnet.ValueIPv4:
		return "ipv4-addr:value = " + q
	case dragnet.ValueIPv6:
		return "ipv6-addr:value = " + q
	case dragnet.ValueCIDR:
		if strings.Contains(v.Value, ":") {
			return "ipv6-addr:value = " + q
		}
		return "ipv4-addr:value = " + q
	case dragnet.ValueDomain:
		return "domain-name:value = " + q
	case dragnet.ValueURL:
		return "url:value = " + q
	case dragnet.ValueEmail:
		return "email-addr:value = " + q
	case dragnet.ValueMD5:
		return "file:hashes.MD5 = " + q
	case dragnet.ValueSHA1:
		return "file:hashes.'SHA-1' = " + q
	case dragnet.ValueSHA256:
		return "file:hashes.'SHA-256' = " + q
	case dragnet.ValueSHA512:
		return "file:hashes.'SHA-512' = " + q
	}
	panic(fmt.Sprintf("feed: no pattern for value kind %q", v.Kind))
}

// Quote returns s as a STIX pattern string literal.
func Quote(s string) string {
	if !strings.ContainsAny(s, `'\`) {
		return "'" + s + "'"
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// SCO returns the cyber-observable object (with its deterministic id) that
// holds v.
func SCO(v dragnet.Value) map[string]any {
	typ := v.SCOType()
	if typ == "file" {
		h := map[string]any{v.Kind.HashAlgorithm(): v.Value}
		return map[string]any{"type": "file", "spec_version": "2.1", "id": SCOID("file", map[string]any{"hashes": h}), "hashes": h}
	}
	return map[string]any{"type": typ, "spec_version": "2.1", "id": SCOID(typ, map[string]any{"value": v.Value}), "value": v.Value}
}
