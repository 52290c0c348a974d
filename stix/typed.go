package stix

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// Common holds the common properties of SDOs and SROs (STIX 2.1 section
// 3.2), embedded in each of their types.
type Common struct {
	Type               string              `json:"type"`
	SpecVersion        string              `json:"spec_version"`
	ID                 string              `json:"id"`
	CreatedByRef       string              `json:"created_by_ref,omitempty"`
	Created            Timestamp           `json:"created"`
	Modified           Timestamp           `json:"modified"`
	Revoked            bool                `json:"revoked,omitempty"`
	Labels             []string            `json:"labels,omitempty"`
	Confidence         *int64              `json:"confidence,omitempty"`
	Lang               string              `json:"lang,omitempty"`
	ExternalReferences []ExternalReference `json:"external_references,omitempty"`
	ObjectMarkingRefs  []string            `json:"object_marking_refs,omitempty"`
	GranularMarkings   []GranularMarking   `json:"granular_markings,omitempty"`
	Extensions         Extensions          `json:"extensions,omitempty"`
}

// SCOCommon holds the common properties of cyber-observable objects (STIX
// 2.1 section 3.2), embedded in each of their types.
type SCOCommon struct {
	Type              string            `json:"type"`
	ID                string            `json:"id"`
	SpecVersion       string            `json:"spec_version,omitempty"`
	ObjectMarkingRefs []string          `json:"object_marking_refs,omitempty"`
	GranularMarkings  []GranularMarking `json:"granular_markings,omitempty"`
	Defanged          bool              `json:"defanged,omitempty"`
	Extensions        Extensions        `json:"extensions,omitempty"`
}

// Timestamp is a STIX timestamp (section 2.15); the zero value means absent.
type Timestamp struct{ time.Time }

// UnmarshalJSON reads a STIX timestamp (ParseTimestamp).
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	v, err := ParseTimestamp(s)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

// MarshalJSON writes t in STIX form (FormatTimestamp).
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return json.Marshal(FormatTimestamp(t.Time))
}

// Hashes maps a hash algorithm name (hash-algorithm-ov, e.g. "SHA-256") to
// its hex digest (section 2.7).
type Hashes map[string]string

// Extensions maps an extension name or extension-definition id to the
// extension's properties, as sent (sections 7.3, 11.3).
type Extensions map[string]json.RawMessage

// Extension decodes the extension named name of exts into a new T (for
// example ArchiveExt for "archive-ext"); ok is false when exts has none of
// that name.
func Extension[T any](exts Extensions, name string) (ext *T, ok bool, err error) {
	raw, ok := exts[name]
	if !ok {
		return nil, false, nil
	}
	ext = new(T)
	if err := json.Unmarshal(raw, ext); err != nil {
		return nil, true, fmt.Errorf("extension %s: %w", name, err)
	}
	return ext, true, nil
}

// CustomObject is an object of a type the specification does not define
// (a custom object, section 11.2, or an extension's new type, 7.3): its
// common properties and the rest as sent.
type CustomObject struct {
	Common
	Properties map[string]json.RawMessage `json:"-"`
}

// newTyped returns a new value of the typed form of a type the
// specification defines, or nil.
func newTyped(typ string) any {
	switch typ {
	case "attack-pattern":
		return new(AttackPattern)
	case "campaign":
		return new(Campaign)
	case "course-of-action":
		return new(CourseOfAction)
	case "grouping":
		return new(Grouping)
	case "identity":
		return new(Identity)
	case "incident":
		return new(Incident)
	case "indicator":
		return new(Indicator)
	case "infrastructure":
		return new(Infrastructure)
	case "intrusion-set":
		return new(IntrusionSet)
	case "location":
		return new(Location)
	case "malware":
		return new(Malware)
	case "malware-analysis":
		return new(MalwareAnalysis)
	case "note":
		return new(Note)
	case "observed-data":
		return new(ObservedData)
	case "opinion":
		return new(Opinion)
	case "report":
		return new(Report)
	case "threat-actor":
		return new(ThreatActor)
	case "tool":
		return new(Tool)
	case "vulnerability":
		return new(Vulnerability)
	case "relationship":
		return new(Relationship)
	case "sighting":
		return new(Sighting)
	case "artifact":
		return new(Artifact)
	case "autonomous-system":
		return new(AutonomousSystem)
	case "directory":
		return new(Directory)
	case "domain-name":
		return new(DomainName)
	case "email-addr":
		return new(EmailAddr)
	case "email-message":
		return new(EmailMessage)
	case "file":
		return new(File)
	case "ipv4-addr":
		return new(IPv4Addr)
	case "ipv6-addr":
		return new(IPv6Addr)
	case "mac-addr":
		return new(MACAddr)
	case "mutex":
		return new(Mutex)
	case "network-traffic":
		return new(NetworkTraffic)
	case "process":
		return new(Process)
	case "software":
		return new(Software)
	case "url":
		return new(URL)
	case "user-account":
		return new(UserAccount)
	case "windows-registry-key":
		return new(WindowsRegistryKey)
	case "x509-certificate":
		return new(X509Certificate)
	case "language-content":
		return new(LanguageContent)
	case "marking-definition":
		return new(MarkingDefinition)
	case "extension-definition":
		return new(ExtensionDefinition)
	case "bundle":
		return new(Bundle)
	}
	return nil
}

// Typed decodes the object into the struct of its type: *Indicator for an
// indicator, *File for a file, and so on for every type the specification
// defines, *CustomObject for any other. The stored form stays Raw; the
// typed value is a reading of it (custom properties are in
// CustomProperties).
func (o *Object) Typed() (any, error) {
	v := newTyped(o.Type)
	if v == nil {
		c := &CustomObject{}
		if err := json.Unmarshal(o.Raw, &c.Common); err != nil {
			return nil, fmt.Errorf("object %s: %w", o.ID, err)
		}
		if err := json.Unmarshal(o.Raw, &c.Properties); err != nil {
			return nil, fmt.Errorf("object %s: %w", o.ID, err)
		}
		return c, nil
	}
	if err := json.Unmarshal(o.Raw, v); err != nil {
		return nil, fmt.Errorf("object %s: %w", o.ID, err)
	}
	return v, nil
}

// As decodes the object into v, a pointer to the struct of its type (or
// any other destination encoding/json accepts).
func (o *Object) As(v any) error {
	if err := json.Unmarshal(o.Raw, v); err != nil {
		return fmt.Errorf("object %s: %w", o.ID, err)
	}
	return nil
}

// CustomProperties returns the top-level properties of the object that
// its type does not define (custom properties, section 11.1, and
// toplevel-property-extension properties, 7.3), as sent, and their names
// in order. For a custom object type every property but the common ones is
// custom.
func (o *Object) CustomProperties() (map[string]json.RawMessage, []string, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(o.Raw, &all); err != nil {
		return nil, nil, fmt.Errorf("object %s: %w", o.ID, err)
	}
	b := model.types[o.Type]
	if b == nil {
		if _, ok := all["created"]; ok {
			b = model.blocks["common-sdo"]
		} else {
			b = model.blocks["common-sco"]
		}
	}
	out := map[string]json.RawMessage{}
	var names []string
	for k, v := range all {
		if _, known := b.props[k]; !known {
			out[k] = v
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return out, names, nil
}
