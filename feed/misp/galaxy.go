package misp

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/dragnet-intel/dragnet/feed"
)

// sdoType maps a MISP galaxy type to the STIX object its clusters
// become; "" for galaxies that stay labels.
func sdoType(galaxy string) string {
	g := strings.ToLower(galaxy)
	switch {
	case strings.Contains(g, "threat-actor"), g == "microsoft-activity-group":
		return "threat-actor"
	case strings.Contains(g, "intrusion-set"):
		return "intrusion-set"
	case strings.Contains(g, "attack-pattern"):
		return "attack-pattern"
	case strings.Contains(g, "tool"), g == "exploit-kit":
		return "tool"
	case strings.Contains(g, "malware"), g == "banker", g == "ransomware", g == "rat", g == "stealer", g == "botnet",
		g == "backdoor", g == "android", g == "malpedia", g == "cryptominers", g == "financial-fraud":
		return "malware"
	}
	return ""
}

var attackID = regexp.MustCompile(`\b(T\d{4}(?:\.\d{3})?)\b`)

// cluster makes the SDO of one galaxy cluster, or nil for galaxies that
// map to no STIX type.
func (c *conv) cluster(path, galaxyType string, cl *Cluster) *feed.Item {
	typ := sdoType(galaxyType)
	if typ == "" || cl.Value == "" {
		return nil
	}
	name := string(cl.Value)
	props := map[string]any{"name": name}
	if cl.Description != "" {
		props["description"] = string(cl.Description)
	}
	if syn := cl.metaStrings("synonyms"); len(syn) > 0 && (typ == "threat-actor" || typ == "intrusion-set" || typ == "malware" || typ == "tool") {
		key := "aliases"
		if typ == "malware" || typ == "tool" {
			key = "x_misp_synonyms"
		}
		props[key] = syn
	}
	var ext []map[string]any
	if typ == "attack-pattern" {
		id := ""
		for _, x := range cl.metaStrings("external_id") {
			if m := attackID.FindStringSubmatch(x); m != nil && m[1] == x {
				id = x
				break
			}
		}
		if m := attackID.FindStringSubmatch(name); id == "" && m != nil {
			id = m[1]
		}
		if id != "" {
			ext = append(ext, map[string]any{"source_name": "mitre-attack", "external_id": id})
		}
	}
	for _, r := range cl.metaStrings("refs") {
		ext = append(ext, map[string]any{"source_name": "reference", "url": r})
	}
	if len(ext) > 0 {
		props["external_references"] = ext
	}
	if typ == "malware" {
		props["is_family"] = true
	}
	labels := []string(nil)
	if cl.TagName != "" {
		labels = []string{string(cl.TagName)}
	}
	// Keyed by event: the same cluster in two events may differ (galaxy
	// versions), and one shared object would flip between them.
	return c.b.SDO(path, typ, "event:"+string(c.ev.UUID)+"|"+typ+":"+strings.ToLower(name), props, feed.Meta{
		Created: c.created, Modified: c.created, Labels: labels, Markings: c.markings,
	})
}

var galaxyTag = regexp.MustCompile(`^misp-galaxy:([^=]+)="(.*)"$`)

// galaxies makes the SDOs of the event's galaxy clusters (and of
// misp-galaxy tags that have no Galaxy entry, as feeds write them), and
// relationships: a threat actor or intrusion set uses the event's
// malware, tools and attack patterns.
func (c *conv) galaxies(path string, gs []Galaxy, tags []Tag) error {
	done := map[string]bool{}
	add := func(p, gtype string, cl *Cluster) error {
		if cl.TagName != "" {
			done[string(cl.TagName)] = true
		}
		it := c.cluster(p, gtype, cl)
		if it == nil {
			return nil
		}
		if it.Object != nil && !c.seen[it.Object.ID] {
			c.clusters = append(c.clusters, clusterRef{it.Object.ID, it.Object.Type})
		}
		return c.out(it)
	}
	for i, g := range gs {
		for j := range g.GalaxyCluster {
			cl := &g.GalaxyCluster[j]
			gt := string(cl.Type)
			if gt == "" {
				gt = string(g.Type)
			}
			if err := add(fmt.Sprintf("%s[%d].GalaxyCluster[%d]", path, i, j), gt, cl); err != nil {
				return err
			}
		}
	}
	for i, t := range tags {
		m := galaxyTag.FindStringSubmatch(string(t.Name))
		if m == nil || done[string(t.Name)] {
			continue
		}
		cl := &Cluster{Type: str(m[1]), Value: str(m[2]), TagName: t.Name}
		if err := add(fmt.Sprintf("%s[%d]", strings.TrimSuffix(path, "Galaxy")+"Tag", i), m[1], cl); err != nil {
			return err
		}
	}
	for _, a := range c.clusters {
		if a.typ != "threat-actor" && a.typ != "intrusion-set" {
			continue
		}
		for _, t := range c.clusters {
			if t.typ == "malware" || t.typ == "tool" || t.typ == "attack-pattern" {
				if err := c.out(c.b.Relationship(path, "uses", a.id, t.id, feed.Meta{
					Created: c.created, Modified: c.created, CreatedByRef: c.identity, Markings: c.markings,
				})); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// attrGalaxies links an attribute's entry to its galaxy clusters: an
// indicator "indicates" them, anything else is "related-to" them.
func (c *conv) attrGalaxies(path string, entry *feed.Item, gs []Galaxy) error {
	rel := "related-to"
	if entry.Object.Type == "indicator" {
		rel = "indicates"
	}
	for i, g := range gs {
		for j := range g.GalaxyCluster {
			cl := &g.GalaxyCluster[j]
			gt := string(cl.Type)
			if gt == "" {
				gt = string(g.Type)
			}
			p := fmt.Sprintf("%s.Galaxy[%d].GalaxyCluster[%d]", path, i, j)
			it := c.cluster(p, gt, cl)
			if it == nil || it.Object == nil {
				continue
			}
			if err := c.out(it); err != nil {
				return err
			}
			if err := c.out(c.b.Relationship(p, rel, entry.Object.ID, it.Object.ID, feed.Meta{
				Created: entry.Object.Created, Modified: entry.Object.Created, CreatedByRef: c.identity, Markings: entry.Object.ObjectMarkingRefs,
			})); err != nil {
				return err
			}
		}
	}
	return nil
}
