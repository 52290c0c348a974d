package misp

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
)

// ManifestEntry is what a MISP feed's manifest.json says of one event.
type ManifestEntry struct {
	Info      str  `json:"info"`
	Timestamp str  `json:"timestamp"`
	Orgc      *Org `json:"Orgc"`
}

// Manifest is a MISP feed's manifest.json: event uuid to entry.
type Manifest map[string]ManifestEntry

// ReadManifest reads manifest.json. Every entry must have a timestamp.
func ReadManifest(r io.Reader) (Manifest, error) {
	var m Manifest
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		return nil, fmt.Errorf("reading MISP feed manifest: %w", err)
	}
	for uuid, e := range m {
		if _, ok := e.Timestamp.unix(); !ok {
			return nil, fmt.Errorf("MISP feed manifest: event %s: timestamp %q is not a Unix time", uuid, e.Timestamp)
		}
	}
	return m, nil
}

// UUIDs returns the event uuids in order.
func (m Manifest) UUIDs() []string {
	out := make([]string, 0, len(m))
	for u := range m {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// Timestamp returns the manifest's timestamp of an event (Unix seconds),
// which changes whenever the event does.
func (m Manifest) Timestamp(uuid string) int64 {
	t, _ := m[uuid].Timestamp.unix()
	return t.Unix()
}
