package feed

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// feedState is the stored state of a feed: the ids of its entries at the
// last pull (by part for a source read in parts) with their fingerprints,
// the MISP feed events already loaded, and where an incremental source
// resumes.
type feedState struct {
	IDs    []string            `json:"ids"`
	Parts  map[string][]string `json:"parts,omitempty"`
	Known  map[string]int64    `json:"known,omitempty"`
	Cursor string              `json:"cursor,omitempty"`

	// FP holds the Fingerprint of each entry as last seen. It is stored
	// packed beside the id lists (FPs beside IDs, PartFPs beside Parts):
	// 8 bytes an entry in base64, not a JSON object keyed by id, which
	// for a million entries is more than twice the size and slow to
	// encode.
	FP      map[string]uint64 `json:"-"`
	FPs     string            `json:"fps,omitempty"`
	PartFPs map[string]string `json:"part_fps,omitempty"`
}

// pack returns the fingerprints of ids, 8 bytes each (0: none), in base64.
func pack(ids []string, fp map[string]uint64) string {
	if len(fp) == 0 || len(ids) == 0 {
		return ""
	}
	b := make([]byte, 8*len(ids))
	for i, id := range ids {
		binary.BigEndian.PutUint64(b[8*i:], fp[id])
	}
	return base64.RawStdEncoding.EncodeToString(b)
}

// unpack adds the fingerprints packed in s to fp. A packing that does not
// fit ids is ignored: the entries are then looked up, not lost.
func unpack(ids []string, s string, fp map[string]uint64) {
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil || len(b) != 8*len(ids) {
		return
	}
	for i, id := range ids {
		if v := binary.BigEndian.Uint64(b[8*i:]); v != 0 {
			fp[id] = v
		}
	}
}

func decodeState(b []byte) (*feedState, error) {
	st := &feedState{}
	if len(b) == 0 {
		return st, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("reading feed state: %w", err)
	}
	if err := json.NewDecoder(zr).Decode(st); err != nil {
		return nil, fmt.Errorf("reading feed state: %w", err)
	}
	st.FP = map[string]uint64{}
	if st.FPs != "" {
		unpack(st.IDs, st.FPs, st.FP)
	}
	for part, s := range st.PartFPs {
		unpack(st.Parts[part], s, st.FP)
	}
	st.FPs, st.PartFPs = "", nil
	return st, nil
}

func encodeState(st *feedState) ([]byte, error) {
	out := *st
	out.FPs = pack(st.IDs, st.FP)
	out.PartFPs = nil
	for part, ids := range st.Parts {
		if s := pack(ids, st.FP); s != "" {
			if out.PartFPs == nil {
				out.PartFPs = map[string]string{}
			}
			out.PartFPs[part] = s
		}
	}
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed) // a valid level
	if err := json.NewEncoder(zw).Encode(&out); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
