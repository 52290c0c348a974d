package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dragnet-intel/dragnet"
)

// entriesPerChunk is how many status entries one status_chunks row holds.
const entriesPerChunk = 1000

// Entry states, as stored.
const (
	statePending  = 0
	stateSuccess  = 1
	stateFailure  = 2
	stateResolved = 3 // a pending entry whose outcome was appended later
)

// statusEntry is one entry of a status.
type statusEntry struct {
	state byte
	d     dragnet.StatusDetail
}

// chunk is one status_chunks row, decoded.
type chunk struct {
	seq     int
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

// encodeEntries encodes entries one after another as: state byte, uvarint
// length and bytes of the object id, version (uvarint 0 for none, else 1,
// varint Unix seconds, uvarint nanoseconds), uvarint length and bytes of
// the message.
func encodeEntries(es []statusEntry) []byte {
	n := 0
	for _, e := range es {
		n += 1 + 4*binary.MaxVarintLen64 + len(e.d.ID) + len(e.d.Message)
	}
	b := make([]byte, 0, n)
	for _, e := range es {
		b = append(b, e.state)
		b = binary.AppendUvarint(b, uint64(len(e.d.ID)))
		b = append(b, e.d.ID...)
		if e.d.Version.IsZero() {
			b = binary.AppendUvarint(b, 0)
		} else {
			b = binary.AppendUvarint(b, 1)
			b = binary.AppendVarint(b, e.d.Version.Unix())
			b = binary.AppendUvarint(b, uint64(e.d.Version.Nanosecond()))
		}
		b = binary.AppendUvarint(b, uint64(len(e.d.Message)))
		b = append(b, e.d.Message...)
	}
	return b
}

var errBadChunk = errors.New("postgres: malformed status chunk")

// decodeEntries decodes what encodeEntries made.
func decodeEntries(b []byte) ([]statusEntry, error) {
	var es []statusEntry
	uv := func() (uint64, bool) {
		v, k := binary.Uvarint(b)
		if k <= 0 {
			return 0, false
		}
		b = b[k:]
		return v, true
	}
	str := func() (string, bool) {
		n, ok := uv()
		if !ok || uint64(len(b)) < n {
			return "", false
		}
		s := string(b[:n])
		b = b[n:]
		return s, true
	}
	for len(b) > 0 {
		var e statusEntry
		var ok bool
		e.state, b = b[0], b[1:]
		if e.state > stateResolved {
			return nil, errBadChunk
		}
		if e.d.ID, ok = str(); !ok {
			return nil, errBadChunk
		}
		has, ok := uv()
		if !ok || has > 1 {
			return nil, errBadChunk
		}
		if has == 1 {
			sec, k := binary.Varint(b)
			if k <= 0 {
				return nil, errBadChunk
			}
			b = b[k:]
			ns, ok := uv()
			if !ok || ns >= 1e9 {
				return nil, errBadChunk
			}
			e.d.Version = time.Unix(sec, int64(ns)).UTC()
		}
		if e.d.Message, ok = str(); !ok {
			return nil, errBadChunk
		}
		es = append(es, e)
	}
	return es, nil
}

// writeChunks stores entries as new chunks of a status from seq on.
func writeChunks(ctx context.Context, tx pgx.Tx, statusID string, seq int, es []statusEntry) error {
	for len(es) > 0 {
		c := chunk{seq: seq, entries: es[:min(len(es), entriesPerChunk)]}
		if _, err := tx.Exec(ctx, `INSERT INTO status_chunks (status_id, seq, pending, entries) VALUES ($1, $2, $3, $4)`,
			statusID, c.seq, c.pending(), encodeEntries(c.entries)); err != nil {
			return fmt.Errorf("storing status: %w", err)
		}
		es = es[len(c.entries):]
		seq++
	}
	return nil
}

// readChunks appends the entries of a chunked status to s, in order.
func readChunks(ctx context.Context, q querier, s *dragnet.Status) error {
	rows, err := q.Query(ctx, `SELECT entries FROM status_chunks WHERE status_id = $1 ORDER BY seq`, s.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return err
		}
		es, err := decodeEntries(raw)
		if err != nil {
			return err
		}
		for _, e := range es {
			switch e.state {
			case statePending:
				s.Pendings = append(s.Pendings, e.d)
			case stateSuccess:
				s.Successes = append(s.Successes, e.d)
			case stateFailure:
				s.Failures = append(s.Failures, e.d)
			}
		}
	}
	return rows.Err()
}

// matches reports whether a result resolves a pending entry: same object,
// and the same version unless either has none.
func matches(pd dragnet.StatusDetail, r *dragnet.AddResult) bool {
	return pd.ID == r.ID && (pd.Version.IsZero() || r.Version.IsZero() || pd.Version.Equal(r.Version))
}

// resolveChunks records results in a chunked status: each result, in
// order, resolves the first still-pending entry it matches (which is
// marked resolved in place), and all outcomes are appended, in order, as
// new chunks. Pending chunks are read in order only until every result has
// found its entry, which for an envelope resolved in order is the first
// chunk still pending; the outcome is the same as matching against all.
func resolveChunks(ctx context.Context, tx pgx.Tx, statusID string, results []dragnet.AddResult) error {
	wanted := make(map[string]bool, len(results))
	for i := range results {
		wanted[results[i].ID] = true
	}
	var loaded []*chunk
	type ref struct{ c, j int }
	cands := map[string][]ref{} // pending entries of wanted objects, in order
	var match []ref             // match[i]: the entry result i resolves, c -1 if none
	greedy := func() bool {
		match = make([]ref, len(results))
		used := map[ref]bool{}
		all := true
		for i := range results {
			match[i] = ref{c: -1}
			for _, rf := range cands[results[i].ID] {
				if !used[rf] && matches(loaded[rf.c].entries[rf.j].d, &results[i]) {
					used[rf], match[i] = true, rf
					break
				}
			}
			all = all && match[i].c >= 0
		}
		return all
	}
	err := func() error {
		rows, err := tx.Query(ctx, `SELECT seq, entries FROM status_chunks WHERE status_id = $1 AND pending > 0 ORDER BY seq`, statusID)
		if err != nil {
			return fmt.Errorf("reading status: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			c := &chunk{}
			var raw []byte
			if err := rows.Scan(&c.seq, &raw); err != nil {
				return err
			}
			if c.entries, err = decodeEntries(raw); err != nil {
				return err
			}
			hit := false
			for j, e := range c.entries {
				if e.state == statePending && wanted[e.d.ID] {
					cands[e.d.ID] = append(cands[e.d.ID], ref{len(loaded), j})
					hit = true
				}
			}
			loaded = append(loaded, c)
			if hit && greedy() {
				return nil
			}
		}
		return rows.Err()
	}()
	if err != nil {
		return err
	}
	greedy()
	changed := map[int]bool{}
	outs := make([]statusEntry, len(results))
	for i := range results {
		r := &results[i]
		d := dragnet.StatusDetail{ID: r.ID, Version: r.Version.UTC()}
		if rf := match[i]; rf.c >= 0 {
			e := &loaded[rf.c].entries[rf.j]
			if d.Version.IsZero() {
				d.Version = e.d.Version
			}
			e.state = stateResolved
			changed[rf.c] = true
		}
		outs[i] = statusEntry{state: stateSuccess, d: d}
		if r.Err != nil {
			outs[i].state, outs[i].d.Message = stateFailure, dragnet.ErrorMessage(r.Err)
		}
	}
	for ci := range changed {
		c := loaded[ci]
		if _, err := tx.Exec(ctx, `UPDATE status_chunks SET pending = $3, entries = $4 WHERE status_id = $1 AND seq = $2`,
			statusID, c.seq, c.pending(), encodeEntries(c.entries)); err != nil {
			return fmt.Errorf("updating status: %w", err)
		}
	}
	var next int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(seq), -1) + 1 FROM status_chunks WHERE status_id = $1`, statusID).Scan(&next); err != nil {
		return fmt.Errorf("reading status: %w", err)
	}
	return writeChunks(ctx, tx, statusID, next, outs)
}
