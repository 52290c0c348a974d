package sqlite

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dragnet-intel/dragnet"
)

// entriesPerChunk is how many status entries one status_chunks row holds.
const entriesPerChunk = 1000

// Entry states, as stored.
const (
	statePending = 0
	stateSuccess = 1
	stateFailure = 2
)

// statusEntry is one object's entry in a status.
type statusEntry struct {
	state   byte
	id      string
	vns     int64 // version in nanoseconds; 0 when unknown
	message string
}

// chunk is one status_chunks row, decoded.
type chunk struct {
	seq     int64
	entries []statusEntry
}

func (c *chunk) pending() int {
	n := 0
	for _, e := range c.entries {
		if e.state == statePending {
			n++
		}
	}
	return n
}

// encodeEntries encodes entries as: state byte, uvarint length and bytes
// of the object id, varint version, uvarint length and bytes of the
// message; one after another.
func encodeEntries(es []statusEntry) []byte {
	n := 0
	for _, e := range es {
		n += 1 + 3*binary.MaxVarintLen64 + len(e.id) + len(e.message)
	}
	b := make([]byte, 0, n)
	for _, e := range es {
		b = append(b, e.state)
		b = binary.AppendUvarint(b, uint64(len(e.id)))
		b = append(b, e.id...)
		b = binary.AppendVarint(b, e.vns)
		b = binary.AppendUvarint(b, uint64(len(e.message)))
		b = append(b, e.message...)
	}
	return b
}

var errBadChunk = errors.New("sqlite: malformed status chunk")

// decodeEntries decodes what encodeEntries made.
func decodeEntries(b []byte) ([]statusEntry, error) {
	var es []statusEntry
	str := func() (string, bool) {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return "", false
		}
		s := string(b[k : k+int(n)])
		b = b[k+int(n):]
		return s, true
	}
	for len(b) > 0 {
		var e statusEntry
		var ok bool
		e.state, b = b[0], b[1:]
		if e.id, ok = str(); !ok {
			return nil, errBadChunk
		}
		v, k := binary.Varint(b)
		if k <= 0 {
			return nil, errBadChunk
		}
		e.vns, b = v, b[k:]
		if e.message, ok = str(); !ok {
			return nil, errBadChunk
		}
		es = append(es, e)
	}
	return es, nil
}

func detailEntry(state byte, d dragnet.StatusDetail) statusEntry {
	e := statusEntry{state: state, id: d.ID, message: d.Message}
	if !d.Version.IsZero() {
		e.vns = d.Version.UnixNano()
	}
	return e
}

// writeChunks stores entries as new chunks of a status from seq on.
func writeChunks(ctx context.Context, w *wtx, statusID string, seq int64, es []statusEntry) error {
	for len(es) > 0 {
		c := chunk{seq: seq, entries: es[:min(len(es), entriesPerChunk)]}
		if _, err := w.exec(ctx, `INSERT INTO status_chunks (status_id, seq, pending, entries) VALUES (?, ?, ?, ?)`,
			statusID, c.seq, c.pending(), encodeEntries(c.entries)); err != nil {
			return fmt.Errorf("storing status: %w", err)
		}
		es = es[len(c.entries):]
		seq++
	}
	return nil
}

// resolvePending records the outcomes in a status: each result takes the
// first pending entry for its object (keeping its place), or becomes a new
// entry at the end. Chunks are read in order only until every result has
// found its pending entry, which for a TAXII envelope stored in order is
// the first chunk still pending.
func resolvePending(ctx context.Context, w *wtx, statusID string, results []dragnet.AddResult) error {
	want := make(map[string][]int, len(results))
	for i := range results {
		want[results[i].ID] = append(want[results[i].ID], i)
	}
	left := len(results)
	placed := make([]bool, len(results))
	var changed []*chunk
	err := func() error {
		rows, err := w.QueryContext(ctx, `SELECT seq, entries FROM status_chunks WHERE status_id = ? AND pending > 0 ORDER BY seq`, statusID)
		if err != nil {
			return fmt.Errorf("reading status: %w", err)
		}
		defer rows.Close()
		for left > 0 && rows.Next() {
			c := &chunk{}
			var raw []byte
			if err := rows.Scan(&c.seq, &raw); err != nil {
				return err
			}
			if c.entries, err = decodeEntries(raw); err != nil {
				return err
			}
			hit := false
			for j := range c.entries {
				e := &c.entries[j]
				q := want[e.id]
				if e.state != statePending || len(q) == 0 {
					continue
				}
				want[e.id] = q[1:]
				*e = resultEntry(&results[q[0]])
				placed[q[0]] = true
				hit = true
				left--
			}
			if hit {
				changed = append(changed, c)
			}
		}
		return rows.Err()
	}()
	if err != nil {
		return err
	}
	for _, c := range changed {
		if _, err := w.exec(ctx, `UPDATE status_chunks SET pending = ?, entries = ? WHERE status_id = ? AND seq = ?`,
			c.pending(), encodeEntries(c.entries), statusID, c.seq); err != nil {
			return fmt.Errorf("updating status: %w", err)
		}
	}
	if left == 0 {
		return nil
	}
	var added []statusEntry
	for i := range results {
		if !placed[i] {
			added = append(added, resultEntry(&results[i]))
		}
	}
	var next int64
	if err := w.queryRow(ctx, `SELECT coalesce(max(seq), -1) + 1 FROM status_chunks WHERE status_id = ?`, statusID).Scan(&next); err != nil {
		return fmt.Errorf("reading status: %w", err)
	}
	return writeChunks(ctx, w, statusID, next, added)
}

func resultEntry(r *dragnet.AddResult) statusEntry {
	e := statusEntry{state: stateSuccess, id: r.ID}
	if r.Err != nil {
		e.state, e.message = stateFailure, dragnet.ErrorMessage(r.Err)
	}
	if !r.Version.IsZero() {
		e.vns = r.Version.UnixNano()
	}
	return e
}
