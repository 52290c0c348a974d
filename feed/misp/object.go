package misp

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dragnet-intel/dragnet/feed"
)

// object converts one MISP object into one entry: an indicator over the
// comparisons of its observable attributes when any attribute is to_ids,
// else an observed-data over their SCOs, else a note.
// It reports whether the object became an entry.
func (c *conv) object(path string, op *Object) (bool, error) {
	o := *op
	if o.Name == "" {
		return false, c.emit(feed.Reject(join(path, "name"), "object name is missing"))
	}
	var all obs
	toIDs := false
	var attrs []map[string]any
	var labels []string
	markings := []string(nil)
	latest, _ := o.Timestamp.unix()
	for i, a := range o.Attribute {
		p := fmt.Sprintf("%s.Attribute[%d]", path, i)
		ob, err := observe(string(a.Type), string(a.Value))
		if err != nil && !errors.Is(err, errContext) {
			if e := c.emit(&feed.Item{Where: join(p, "value"), Err: fmt.Errorf("%s attribute: %v", a.Type, err)}); e != nil {
				return false, e
			}
			continue
		}
		if err == nil {
			all.cmps = append(all.cmps, ob.cmps...)
			all.scos = append(all.scos, ob.scos...)
			all.vsco = append(all.vsco, ob.vsco...)
			all.values = append(all.values, ob.values...)
			if a.ToIDs {
				toIDs = true
			}
		}
		m, l, _ := c.tags(join(p, "Tag"), a.Tag)
		if m != nil {
			markings = m
		}
		for _, x := range l {
			if !contains(labels, x) {
				labels = append(labels, x)
			}
		}
		if t, ok := a.Timestamp.unix(); ok && t.After(latest) {
			latest = t
		}
		ma := map[string]any{"object_relation": string(a.ObjectRelation), "type": string(a.Type), "category": string(a.Category),
			"value": string(a.Value), "to_ids": bool(a.ToIDs), "uuid": string(a.UUID)}
		if len(l) > 0 {
			ma["tags"] = l
		}
		if a.Comment != "" {
			ma["comment"] = string(a.Comment)
		}
		attrs = append(attrs, ma)
	}
	if latest.IsZero() {
		latest = c.modified
	}
	m := feed.Meta{
		Key: "object:" + string(o.UUID), Name: string(o.Name), Description: string(o.Comment), Labels: labels,
		Created: latest, Modified: latest, CreatedByRef: c.identity, Revoked: bool(o.Deleted), Observable: !toIDs,
		Markings: markings,
		Extra:    map[string]any{"x_misp_object_name": string(o.Name), "x_misp_meta_category": string(o.MetaCategory), "x_misp_attributes": attrs},
	}
	if o.UUID == "" {
		m.Key = fmt.Sprintf("object:%s|%d", o.Name, len(c.refs))
	}
	if m.Markings == nil {
		m.Markings = c.markings
	}
	if t, ok := o.FirstSeen.iso(); ok {
		m.ValidFrom = t
	}
	if t, ok := o.LastSeen.iso(); ok {
		m.ValidUntil = t
	}
	var items []*feed.Item
	if len(all.cmps) == 0 {
		var b strings.Builder
		for _, a := range attrs {
			fmt.Fprintf(&b, "%s (%s): %s\n", a["object_relation"], a["type"], a["value"])
		}
		m.Name, m.Description = "", ""
		it := c.b.SDO(path, "note", m.Key, map[string]any{
			"abstract": "MISP object " + string(o.Name), "content": strings.TrimSuffix(b.String(), "\n"),
			"object_refs": []string{c.reportID()},
		}, m)
		it.Entry = true
		items = []*feed.Item{it}
	} else {
		items = c.observation(path, all, m)
	}
	for _, it := range items {
		if err := c.out(it); err != nil {
			return false, err
		}
	}
	if items[0].Object != nil && o.UUID != "" {
		c.byUUID[string(o.UUID)] = items[0].Object.ID
		for _, a := range o.Attribute {
			if a.UUID != "" {
				c.byUUID[string(a.UUID)] = items[0].Object.ID
			}
		}
		for _, a := range o.Attribute {
			if err := c.attrGalaxies(path, items[0], a.Galaxy); err != nil {
				return false, err
			}
			if err := c.sightings(path, items[0].Object.ID, a.Sighting, m.Markings); err != nil {
				return false, err
			}
		}
	}
	return items[0].Object != nil, nil
}

// references turns an object's ObjectReferences into relationships.
func (c *conv) references(path string, o *Object) error {
	src := c.byUUID[string(o.UUID)]
	if src == "" {
		return nil
	}
	for i, r := range o.ObjectReference {
		p := fmt.Sprintf("%s.ObjectReference[%d]", path, i)
		dst := c.byUUID[string(r.ReferencedUUID)]
		if dst == "" {
			if err := c.emit(&feed.Item{Where: p, Err: fmt.Errorf("referenced uuid %q is not in the event", r.ReferencedUUID)}); err != nil {
				return err
			}
			continue
		}
		rt := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(string(r.RelationshipType)), " ", "-"))
		if rt == "" {
			rt = "related-to"
		}
		if err := c.out(c.b.Relationship(p, rt, src, dst, feed.Meta{
			Created: c.modified, Modified: c.modified, CreatedByRef: c.identity, Markings: c.markings,
		})); err != nil {
			return err
		}
	}
	return nil
}
