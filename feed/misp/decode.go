package misp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/feed"
)

// Source is the Builder source every MISP object's id is derived from, so
// that an event read from a file, a feed or a URL gives the same ids.
const Source = "misp"

// Decoder decodes MISP event JSON in any of its three shapes. It
// implements feed.Decoder.
type Decoder struct{}

var _ feed.Decoder = (*Decoder)(nil)

// Decode implements feed.Decoder. Input that is not JSON, or JSON that is
// no MISP event, is an error; a malformed attribute, object or event of a
// list is a rejected Item naming its JSON path.
func (d *Decoder) Decode(ctx context.Context, r io.Reader, b *feed.Builder, emit feed.Emit) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("reading MISP event: %w", err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return fmt.Errorf("MISP event: %w", jsonError(data, err))
	}
	eb := *b
	eb.Source = Source
	switch {
	case top["response"] != nil:
		var list []map[string]json.RawMessage
		if err := json.Unmarshal(top["response"], &list); err != nil {
			return fmt.Errorf("MISP event: response: want a list of {\"Event\": ...}: %v", err)
		}
		for i, e := range list {
			if err := ctx.Err(); err != nil {
				return err
			}
			path := fmt.Sprintf("response[%d].Event", i)
			if e["Event"] == nil {
				if err := emit(feed.Reject(fmt.Sprintf("response[%d]", i), "no Event key")); err != nil {
					return err
				}
				continue
			}
			if err := decodeEvent(&eb, path, e["Event"], emit); err != nil {
				return err
			}
		}
		return nil
	case top["Event"] != nil:
		return decodeEvent(&eb, "Event", top["Event"], emit)
	case top["Attribute"] != nil || top["Object"] != nil || top["info"] != nil:
		return decodeEvent(&eb, "", data, emit)
	}
	return errors.New("not a MISP event: the JSON object has no Event, response, Attribute, Object or info key")
}

// jsonError adds the line and column to a JSON syntax error.
func jsonError(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := 1, 1
		for _, c := range data[:min(int(se.Offset), len(data))] {
			if c == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		return fmt.Errorf("line %d, column %d: %v", line, col, err)
	}
	return err
}

// rawEvent decodes the event's fields, leaving its attributes to be
// decoded one by one as they are converted (so that the first objects are
// on their way to the store before the last attribute is read, and one
// malformed attribute or object does not lose the rest).
type rawEvent struct {
	Event
	Attribute json.RawMessage   `json:"Attribute"`
	Object    []json.RawMessage `json:"Object"`
}

// listError is a list of attributes that cannot be read as one.
type listError struct{ err error }

func (e *listError) Error() string { return e.err.Error() }

// eachAttribute calls fn with each attribute of list (a JSON array, or
// null) in order, or with the error that decoding it gave. It returns the
// first error of fn, or a *listError when list is no list.
func eachAttribute(list json.RawMessage, fn func(i int, a *Attribute, err error) error) error {
	list = bytes.TrimSpace(list)
	if len(list) == 0 || string(list) == "null" {
		return nil
	}
	if list[0] != '[' {
		return &listError{fmt.Errorf("want a list of attributes, got %s", string(list[:min(len(list), 20)]))}
	}
	dec := json.NewDecoder(bytes.NewReader(list))
	if _, err := dec.Token(); err != nil {
		return &listError{err}
	}
	for i := 0; dec.More(); i++ {
		var a Attribute
		err := dec.Decode(&a)
		var se *json.SyntaxError
		if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
			// Not expected: the event was read as JSON already.
			return &listError{fmt.Errorf("attribute %d: %v", i, err)}
		}
		if err := fn(i, &a, err); err != nil {
			return err
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// conv converts one event.
type conv struct {
	b        *feed.Builder
	emit     feed.Emit
	path     string
	ev       *rawEvent
	identity string   // created_by_ref
	markings []string // the event's TLP marking, or nil
	created  time.Time
	modified time.Time
	refs     []string
	seen     map[string]bool   // ids already emitted in this event
	byUUID   map[string]string // MISP uuid -> STIX id of its entry
	clusters []clusterRef      // event-level galaxy SDOs
	links    []map[string]any  // external references from link attributes
	labels   []string          // the event's labels
}

type clusterRef struct {
	id, typ string
}

func decodeEvent(b *feed.Builder, path string, raw json.RawMessage, emit feed.Emit) error {
	var ev rawEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return emit(feed.Reject(path, "not a MISP event: %v", err))
	}
	if ev.UUID == "" {
		return emit(feed.Reject(join(path, "uuid"), "event uuid is missing"))
	}
	c := &conv{b: b, emit: emit, path: path, ev: &ev, seen: map[string]bool{}, byUUID: map[string]string{}}
	c.modified, _ = ev.Timestamp.unix()
	if t, ok := ev.Date.iso(); ok {
		c.created = t
	} else {
		c.created = c.modified
	}
	if c.modified.IsZero() || c.modified.Before(c.created) {
		c.modified = c.created
	}
	var err error
	c.markings, c.labels, err = c.tags(join(path, "Tag"), ev.Tag)
	if err != nil {
		return err
	}
	if ev.Orgc != nil && ev.Orgc.UUID != "" {
		it := b.SDO(join(path, "Orgc"), "identity", "identity:"+string(ev.Orgc.UUID), map[string]any{
			"name": string(ev.Orgc.Name), "identity_class": "organization",
		}, feed.Meta{Created: c.created, Modified: c.created, Markings: c.markings})
		c.identity = it.Object.ID
		if err := c.out(it); err != nil {
			return err
		}
	}
	if err := c.galaxies(join(path, "Galaxy"), ev.Galaxy, ev.Tag); err != nil {
		return err
	}
	attrPath := join(path, "Attribute")
	err = eachAttribute(ev.Attribute, func(i int, a *Attribute, err error) error {
		p := attrPath + "[" + strconv.Itoa(i) + "]"
		if err != nil {
			return c.emit(feed.Reject(p, "malformed attribute: %v", err))
		}
		return c.attribute(p, a)
	})
	var le *listError
	if errors.As(err, &le) {
		// Not a list: no attribute can be read (and none was).
		if err := c.emit(feed.Reject(attrPath, "%v", le.err)); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	objs := make([]*Object, len(ev.Object))
	for i := range objs {
		p := fmt.Sprintf("%s[%d]", join(path, "Object"), i)
		objs[i] = new(Object)
		if err := json.Unmarshal(ev.Object[i], objs[i]); err != nil {
			objs[i] = nil
			if err := c.emit(feed.Reject(p, "malformed object: %v", err)); err != nil {
				return err
			}
			continue
		}
		ok, err := c.object(p, objs[i])
		if err != nil {
			return err
		}
		if !ok {
			objs[i] = nil
		}
	}
	for i, o := range objs {
		if o != nil {
			if err := c.references(fmt.Sprintf("%s[%d]", join(path, "Object"), i), o); err != nil {
				return err
			}
		}
	}
	return c.report()
}

// out emits an item and remembers its id for the report's object_refs.
func (c *conv) out(it *feed.Item) error {
	if it.Object != nil {
		if c.seen[it.Object.ID] {
			return nil
		}
		c.seen[it.Object.ID] = true
		c.refs = append(c.refs, it.Object.ID)
	}
	return c.emit(it)
}

// tags splits tags into the TLP marking (the most restrictive TLP tag)
// and labels (every other tag).
func (c *conv) tags(path string, tags []Tag) (markings, labels []string, err error) {
	tlp := dragnet.TLPNone
	for _, t := range tags {
		name := strings.TrimSpace(string(t.Name))
		if name == "" {
			continue
		}
		if strings.HasPrefix(strings.ToLower(name), "tlp:") {
			if l, err := dragnet.ParseTLP(name); err == nil {
				if l > tlp {
					tlp = l
				}
				continue
			}
		}
		if !contains(labels, name) {
			labels = append(labels, name)
		}
	}
	if tlp != dragnet.TLPNone {
		markings = []string{dragnet.MarkingOfTLP(tlp)}
	}
	return markings, labels, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// attrMeta is the Meta of an attribute's entry.
func (c *conv) attrMeta(a *Attribute, key string, labels, markings []string) feed.Meta {
	m := feed.Meta{
		Key: key, Name: string(a.Value), Description: string(a.Comment), Labels: labels,
		CreatedByRef: c.identity, Revoked: bool(a.Deleted), Observable: !bool(a.ToIDs),
		Markings: markings,
		Extra:    map[string]any{"x_misp_type": string(a.Type), "x_misp_category": string(a.Category), "x_misp_value": string(a.Value)},
	}
	if m.Markings == nil {
		m.Markings = c.markings
	}
	m.Created, _ = a.Timestamp.unix()
	if m.Created.IsZero() {
		m.Created = c.modified
	}
	m.Modified = m.Created
	if t, ok := a.FirstSeen.iso(); ok {
		m.ValidFrom = t
	}
	if t, ok := a.LastSeen.iso(); ok {
		m.ValidUntil = t
	}
	return m
}

func (c *conv) attribute(path string, ap *Attribute) error {
	a := *ap
	if a.Type == "" {
		return c.emit(feed.Reject(join(path, "type"), "attribute type is missing"))
	}
	key := "attribute:" + string(a.UUID)
	if a.UUID == "" {
		key = "attribute:" + string(a.Type) + "|" + string(a.Value)
	}
	markings, labels, err := c.tags(join(path, "Tag"), a.Tag)
	if err != nil {
		return err
	}
	m := c.attrMeta(&a, key, labels, markings)
	o, err := observe(string(a.Type), string(a.Value))
	var entry *feed.Item
	var items []*feed.Item
	switch {
	case errors.Is(err, errContext) || (err == nil && len(o.scos)+len(o.vsco) == 0 && !bool(a.ToIDs)):
		entry = c.note(path, &a, m)
		items = []*feed.Item{entry}
		if a.Type == "link" {
			c.links = append(c.links, map[string]any{"source_name": "link", "url": string(a.Value)})
		}
	case err != nil:
		return c.emit(feed.Reject(join(path, "value"), "%s attribute: %v", a.Type, err))
	default:
		items = c.observation(path, o, m)
		entry = items[0]
	}
	for _, it := range items {
		if err := c.out(it); err != nil {
			return err
		}
	}
	if entry.Object == nil {
		return nil
	}
	if a.UUID != "" {
		c.byUUID[string(a.UUID)] = entry.Object.ID
	}
	if err := c.attrGalaxies(path, entry, a.Galaxy); err != nil {
		return err
	}
	return c.sightings(path, entry.Object.ID, a.Sighting, m.Markings)
}

// observation makes an indicator (m.Observable false) or an observed-data
// with SCOs from o; values on a warninglist make it an observation.
func (c *conv) observation(path string, o obs, m feed.Meta) []*feed.Item {
	list := ""
	if c.b.Warninglists != nil {
		for _, v := range o.values {
			if l, ok := c.b.Warninglists.Check(v); ok {
				list = l
				break
			}
		}
	}
	if m.Observable || (list != "" && !c.b.IndicateWarninglisted) {
		if len(o.scos)+len(o.vsco) == 0 {
			// Nothing to observe as an SCO (a user agent): keep it as an
			// indicator that is not for detection.
			m.IndicatorTypes = []string{"unknown"}
		} else {
			scos := o.allSCOs()
			for i, s := range scos {
				scos[i] = finishSCO(s)
			}
			items := c.b.Observable(path, scos, o.values, m)
			items[0].Warninglisted = list
			return items
		}
	}
	it := c.b.Indicator(path, pattern(o.cmps), o.values, m)
	it.Warninglisted = list
	return []*feed.Item{it}
}

// note keeps an attribute that is not an observable as a note on the
// event's report.
func (c *conv) note(path string, a *Attribute, m feed.Meta) *feed.Item {
	props := map[string]any{
		"abstract":    string(a.Category) + " / " + string(a.Type),
		"content":     string(a.Value),
		"object_refs": []string{c.reportID()},
	}
	if a.Comment != "" {
		props["abstract"] = string(a.Category) + " / " + string(a.Type) + ": " + string(a.Comment)
	}
	m.Name, m.Description = "", ""
	it := c.b.SDO(path, "note", m.Key, props, m)
	it.Entry = true
	return it
}

func (c *conv) reportID() string { return ReportID(c.b, string(c.ev.UUID)) }

// ReportID returns the id of the report that stands for the MISP event
// with this uuid, as the Decoder builds it with b.
func ReportID(b *feed.Builder, eventUUID string) string {
	eb := *b
	eb.Source = Source
	return eb.ID("report", "event:"+eventUUID)
}

func (c *conv) sightings(path, target string, ss []Sighting, markings []string) error {
	for j, s := range ss {
		p := fmt.Sprintf("%s.Sighting[%d]", path, j)
		t, ok := s.DateSighting.unix()
		if !ok {
			if err := c.emit(&feed.Item{Where: join(p, "date_sighting"), Err: fmt.Errorf("sighting date %q is not a Unix time", s.DateSighting)}); err != nil {
				return err
			}
			continue
		}
		props := map[string]any{"sighting_of_ref": target, "count": 1, "first_seen": stixTime(t), "last_seen": stixTime(t)}
		m := feed.Meta{Created: t, Modified: t, Markings: markings, CreatedByRef: c.identity}
		switch s.Type {
		case "1":
			m.Labels = []string{"false-positive"}
		case "2":
			m.Labels = []string{"expiration"}
		}
		if s.Organisation != nil && s.Organisation.UUID != "" {
			id := c.b.SDO(p, "identity", "identity:"+string(s.Organisation.UUID), map[string]any{
				"name": string(s.Organisation.Name), "identity_class": "organization",
			}, feed.Meta{Created: c.created, Modified: c.created, Markings: markings})
			if err := c.out(id); err != nil {
				return err
			}
			props["where_sighted_refs"] = []string{id.Object.ID}
		}
		if s.Source != "" {
			props["description"] = "source: " + string(s.Source)
		}
		key := "sighting:" + string(s.UUID)
		if s.UUID == "" {
			key = fmt.Sprintf("sighting:%s|%d|%v", target, t.Unix(), s.Organisation)
		}
		if err := c.out(c.b.SDO(p, "sighting", key, props, m)); err != nil {
			return err
		}
	}
	return nil
}

func (c *conv) report() error {
	refs := make([]string, 0, len(c.refs))
	for _, r := range c.refs {
		if !strings.HasPrefix(r, "identity--") || r == c.identity {
			refs = append(refs, r)
		}
	}
	if len(refs) == 0 {
		return c.emit(&feed.Item{Where: c.path, Err: errors.New("event has nothing to report (no attribute, object or organisation)")})
	}
	ext := []map[string]any{{"source_name": "misp", "external_id": string(c.ev.UUID)}}
	ext = append(ext, c.links...)
	published := c.created
	if t, ok := c.ev.PublishTimestamp.unix(); ok {
		published = t
	}
	props := map[string]any{
		"name": string(c.ev.Info), "report_types": []string{"threat-report"}, "published": stixTime(published),
		"object_refs": refs, "external_references": ext,
	}
	if props["name"] == "" {
		props["name"] = "MISP event " + string(c.ev.UUID)
	}
	x := map[string]any{"x_misp_published": bool(c.ev.Published)}
	for k, v := range map[string]str{"x_misp_threat_level_id": c.ev.ThreatLevelID, "x_misp_analysis": c.ev.Analysis, "x_misp_date": c.ev.Date} {
		if v != "" {
			x[k] = string(v)
		}
	}
	sort.Strings(c.labels)
	it := c.b.SDO(c.path, "report", "event:"+string(c.ev.UUID), props, feed.Meta{ // id: ReportID
		Created: c.created, Modified: c.modified, Labels: c.labels, Markings: c.markings,
		CreatedByRef: c.identity, Extra: x,
	})
	return c.emit(it)
}

func stixTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
