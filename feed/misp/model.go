// Package misp decodes MISP events (the core format: {"Event": {...}}, a
// bare event, or a REST {"response": [...]} list) and MISP feeds
// (manifest.json plus one file per event) into STIX 2.1 objects (package
// export writes them back as MISP events).
//
// Mapping, per event:
//   - the event becomes a report (name = info, published, labels = its
//     non-TLP tags, external reference "misp" = its uuid) whose object_refs
//     list everything else;
//   - Orgc becomes an identity, named as the author (created_by_ref);
//   - an attribute with to_ids becomes an indicator with a STIX pattern;
//     without to_ids, an observed-data with its SCOs; a deleted attribute
//     a revoked one; an attribute that is not an observable (text,
//     comment, link, ...) a note on the report (links become the report's
//     external references);
//   - a MISP object becomes one indicator (any attribute to_ids) or one
//     observed-data over all its observable attributes, and its
//     ObjectReferences become relationships;
//   - tags tlp:* become TLP 2.0 markings (TLP 1.0 names map to 2.0; an
//     attribute's own TLP wins over the event's); other tags become labels;
//   - galaxy clusters of threat actors, intrusion sets, malware, tools and
//     ATT&CK attack patterns become SDOs; an actor or set "uses" the
//     event's malware, tools and patterns, and an attribute's indicator
//     "indicates" its clusters; other galaxies become labels;
//   - sightings become sighting objects of the attribute's object.
//
// Each attribute outside an object, and each object, is one entry.
// Attributes' objects keep the MISP type, category, value and uuid in
// x_misp_type, x_misp_category, x_misp_value and x_misp_uuid, and objects
// their attributes in x_misp_attributes, so that the MISP export (package
// export) gives them back.
package misp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// str is a MISP scalar: MISP writes most numbers, booleans and timestamps
// as strings, but real producers also write numbers, booleans and null.
type str string

func (s *str) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*s = ""
		return nil
	}
	if b[0] == '"' {
		if plain(b) {
			*s = str(b[1 : len(b)-1])
			return nil
		}
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = str(v)
		return nil
	}
	if b[0] == '{' || b[0] == '[' {
		return fmt.Errorf("want a string, number or boolean, got %s", kind(b[0]))
	}
	*s = str(b)
	return nil
}

// plain reports whether a JSON string literal holds printable ASCII only,
// without escapes: its text is then the bytes between the quotes.
func plain(b []byte) bool {
	if len(b) < 2 || b[len(b)-1] != '"' {
		return false
	}
	for _, c := range b[1 : len(b)-1] {
		if c < 0x20 || c >= 0x80 || c == '\\' || c == '"' {
			return false
		}
	}
	return true
}

func kind(c byte) string {
	if c == '{' {
		return "an object"
	}
	return "an array"
}

// flag is a MISP boolean: true/false, "1"/"0", 1/0, "true"/"false".
type flag bool

func (f *flag) UnmarshalJSON(b []byte) error {
	var s str
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	switch s {
	case "true", "1", "True":
		*f = true
	case "false", "0", "", "False":
		*f = false
	default:
		return fmt.Errorf("%q is not a boolean", string(s))
	}
	return nil
}

// unix parses a MISP timestamp (Unix seconds as a string or number).
func (s str) unix() (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(string(s), 10, 64)
	if err != nil || n <= 0 || n > 1<<35 {
		return time.Time{}, false
	}
	return time.Unix(n, 0).UTC(), true
}

// iso parses MISP's first_seen/last_seen (ISO 8601 with a zone) or a date.
func (s str) iso() (time.Time, bool) {
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999-0700", "2006-01-02", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(l, string(s)); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// Event is one MISP event as the core format writes it.
type Event struct {
	UUID             str         `json:"uuid"`
	Info             str         `json:"info"`
	Date             str         `json:"date"`
	Timestamp        str         `json:"timestamp"`
	PublishTimestamp str         `json:"publish_timestamp"`
	Published        flag        `json:"published"`
	ThreatLevelID    str         `json:"threat_level_id"`
	Analysis         str         `json:"analysis"`
	Distribution     str         `json:"distribution"`
	Orgc             *Org        `json:"Orgc"`
	Attribute        []Attribute `json:"Attribute"`
	Object           []Object    `json:"Object"`
	Tag              []Tag       `json:"Tag"`
	Galaxy           []Galaxy    `json:"Galaxy"`
}

// Org is a MISP organisation reference.
type Org struct {
	UUID str `json:"uuid"`
	Name str `json:"name"`
}

// Attribute is one MISP attribute.
type Attribute struct {
	UUID           str        `json:"uuid"`
	Type           str        `json:"type"`
	Category       str        `json:"category"`
	Value          str        `json:"value"`
	Comment        str        `json:"comment"`
	Timestamp      str        `json:"timestamp"`
	ToIDs          flag       `json:"to_ids"`
	Deleted        flag       `json:"deleted"`
	FirstSeen      str        `json:"first_seen"`
	LastSeen       str        `json:"last_seen"`
	ObjectRelation str        `json:"object_relation"`
	Tag            []Tag      `json:"Tag"`
	Galaxy         []Galaxy   `json:"Galaxy"`
	Sighting       []Sighting `json:"Sighting"`
}

// Object is one MISP object.
type Object struct {
	UUID            str         `json:"uuid"`
	Name            str         `json:"name"`
	MetaCategory    str         `json:"meta-category"`
	Comment         str         `json:"comment"`
	Timestamp       str         `json:"timestamp"`
	Deleted         flag        `json:"deleted"`
	FirstSeen       str         `json:"first_seen"`
	LastSeen        str         `json:"last_seen"`
	Attribute       []Attribute `json:"Attribute"`
	ObjectReference []Reference `json:"ObjectReference"`
}

// Reference is an edge from an object to another object or attribute.
type Reference struct {
	UUID             str `json:"uuid"`
	ReferencedUUID   str `json:"referenced_uuid"`
	RelationshipType str `json:"relationship_type"`
}

// Tag is a MISP tag.
type Tag struct {
	Name str `json:"name"`
}

// Galaxy is a MISP galaxy with its clusters.
type Galaxy struct {
	UUID          str       `json:"uuid"`
	Name          str       `json:"name"`
	Type          str       `json:"type"`
	GalaxyCluster []Cluster `json:"GalaxyCluster"`
}

// Cluster is one galaxy cluster.
type Cluster struct {
	UUID        str                        `json:"uuid"`
	Type        str                        `json:"type"`
	Value       str                        `json:"value"`
	TagName     str                        `json:"tag_name"`
	Description str                        `json:"description"`
	Meta        map[string]json.RawMessage `json:"meta"`
}

// Sighting is one sighting of an attribute.
type Sighting struct {
	UUID         str  `json:"uuid"`
	DateSighting str  `json:"date_sighting"`
	Type         str  `json:"type"`
	Source       str  `json:"source"`
	Organisation *Org `json:"Organisation"`
}

// metaStrings returns a cluster meta field as strings (MISP writes lists of
// strings, sometimes a single string).
func (c *Cluster) metaStrings(k string) []string {
	raw, ok := c.Meta[k]
	if !ok {
		return nil
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var one string
	if json.Unmarshal(raw, &one) == nil && one != "" {
		return []string{one}
	}
	return nil
}
