package scenario

import (
	"bytes"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
)

// scoNamespace is the UUIDv5 namespace STIX 2.1 (section 2.9) fixes for
// deterministic cyber-observable identifiers.
var scoNamespace = [16]byte{0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7}

// scoID returns the deterministic id of a cyber-observable from its
// id-contributing properties (UUIDv5 over their canonical JSON).
func scoID(typ string, contrib map[string]any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(contrib) // map keys are sorted: the canonical form for these flat values
	h := sha1.New()
	h.Write(scoNamespace[:])
	h.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return typ + "--" + formatUUID(u)
}

func formatUUID(u [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// randomUUID returns a version 4 UUID drawn from r (deterministic by seed).
func randomUUID(r *rand.Rand) string {
	var u [16]byte
	a, b := r.Uint64(), r.Uint64()
	for i := 0; i < 8; i++ {
		u[i] = byte(a >> (8 * i))
		u[8+i] = byte(b >> (8 * i))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return formatUUID(u)
}

// emitter writes objects into per-organisation streams, each SCO at most
// once per organisation.
type emitter struct {
	r    *rand.Rand
	t0   time.Time
	orgs []Org
	emit func(org int, raw []byte) error
	err  error
	sent []map[string]bool
	n    int
}

func (e *emitter) put(org int, obj map[string]any) {
	if e.err != nil {
		return
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		e.err = err
		return
	}
	e.n++
	e.err = e.emit(org, raw)
}

// ts returns a STIX timestamp day days (and a random time of day) after
// the scenario's start.
func (e *emitter) ts(day float64) string {
	return stix.FormatTimestamp(e.t0.Add(time.Duration(day*24*float64(time.Hour)) + time.Duration(e.r.IntN(86400))*time.Second).Truncate(time.Millisecond))
}

// span returns a first and a last timestamp, last at least first, the
// first on day day and the last up to days later.
func (e *emitter) span(day, days float64) (string, string) {
	f := e.t0.Add(time.Duration(day*24*float64(time.Hour)) + time.Duration(e.r.IntN(86400))*time.Second)
	l := f.Add(time.Duration(e.r.Float64() * days * 24 * float64(time.Hour))).Truncate(time.Second)
	return stix.FormatTimestamp(f), stix.FormatTimestamp(l)
}

func (e *emitter) marking(org int) []string {
	if e.orgs[org].Kind == dragnet.KindVendor && e.r.IntN(4) == 0 {
		return []string{dragnet.TLP2Amber}
	}
	if e.r.IntN(5) == 0 {
		return []string{dragnet.TLP2Clear}
	}
	return []string{dragnet.TLP2Green}
}

// sdo emits a domain object (or relationship, sighting) authored by org
// and returns its id.
func (e *emitter) sdo(org int, typ string, day float64, props map[string]any) string {
	id := typ + "--" + randomUUID(e.r)
	t := e.ts(day)
	obj := map[string]any{
		"type": typ, "spec_version": "2.1", "id": id, "created": t, "modified": t,
		"created_by_ref": e.orgs[org].Identity, "object_marking_refs": e.marking(org),
	}
	for k, v := range props {
		obj[k] = v
	}
	e.put(org, obj)
	return id
}

// sco emits a cyber-observable once per organisation and returns its
// deterministic id.
func (e *emitter) sco(org int, typ string, contrib map[string]any, extra map[string]any) string {
	id := scoID(typ, contrib)
	if e.sent[org][id] {
		return id
	}
	e.sent[org][id] = true
	obj := map[string]any{"type": typ, "spec_version": "2.1", "id": id}
	for k, v := range contrib {
		obj[k] = v
	}
	for k, v := range extra {
		obj[k] = v
	}
	e.put(org, obj)
	return id
}

func (e *emitter) ipv4(org int, ip string) string {
	return e.sco(org, "ipv4-addr", map[string]any{"value": ip}, nil)
}

// domain emits a domain name and, for each address given, the org's
// report that it resolves there. (Resolutions are relationships, not
// resolves_to_refs, so that every member's copy of the domain-name object
// is the same object.)
func (e *emitter) domain(org int, name string, resolves []string) string {
	id := e.sco(org, "domain-name", map[string]any{"value": name}, nil)
	for _, ip := range resolves {
		e.rel(org, float64(e.r.IntN(60)), id, "resolves-to", e.ipv4(org, ip), 0)
	}
	return id
}

func (e *emitter) rel(org int, day float64, src, typ, dst string, confidence int) string {
	p := map[string]any{"relationship_type": typ, "source_ref": src, "target_ref": dst}
	if confidence > 0 {
		p["confidence"] = confidence
	}
	return e.sdo(org, "relationship", day, p)
}

func (e *emitter) indicator(org int, day float64, name, pattern, itype string) string {
	return e.sdo(org, "indicator", day, map[string]any{
		"name": name, "pattern": pattern, "pattern_type": "stix", "valid_from": e.ts(day),
		"indicator_types": []string{itype},
	})
}
