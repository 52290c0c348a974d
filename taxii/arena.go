package taxii

import (
	"encoding/binary"

	"github.com/dragnet-intel/dragnet"
)

// arena holds the raw JSON of a posted envelope's valid objects, in order,
// with the observable values found while validating them, packed into
// large chunks: one copy of each object, its values encoded after it, and
// a few bytes of bookkeeping, with no per-object allocation for the GC to
// trace. Chunks are released as the objects in them are stored.
type arena struct {
	chunks [][]byte
	spans  []span
}

type span struct {
	chunk          int32
	off, len, vlen int32 // raw at off, len bytes; then vlen bytes of values
}

const arenaChunk = 1 << 20

// add appends a copy of raw and its values.
func (a *arena) add(raw []byte, values []dragnet.Value) {
	vlen := 0
	for _, v := range values {
		vlen += 2*binary.MaxVarintLen32 + len(v.Kind) + len(v.Value)
	}
	need := len(raw) + vlen
	n := len(a.chunks)
	if n == 0 || cap(a.chunks[n-1])-len(a.chunks[n-1]) < need {
		a.chunks = append(a.chunks, make([]byte, 0, max(arenaChunk, need)))
		n++
	}
	c := a.chunks[n-1]
	off := len(c)
	c = append(c, raw...)
	for _, v := range values {
		c = binary.AppendUvarint(c, uint64(len(v.Kind)))
		c = append(c, v.Kind...)
		c = binary.AppendUvarint(c, uint64(len(v.Value)))
		c = append(c, v.Value...)
	}
	a.spans = append(a.spans, span{chunk: int32(n - 1), off: int32(off), len: int32(len(raw)), vlen: int32(len(c) - off - len(raw))})
	a.chunks[n-1] = c
}

// len is the number of objects held.
func (a *arena) len() int { return len(a.spans) }

// get returns object i; it must not be used after release(i+1).
func (a *arena) get(i int) []byte {
	s := a.spans[i]
	return a.chunks[s.chunk][s.off : s.off+s.len : s.off+s.len]
}

// values returns the values stored with object i, under the same rule as
// get.
func (a *arena) values(i int) []dragnet.Value {
	s := a.spans[i]
	b := a.chunks[s.chunk][s.off+s.len : s.off+s.len+s.vlen]
	var out []dragnet.Value
	str := func() string {
		n, k := binary.Uvarint(b)
		v := string(b[k : k+int(n)])
		b = b[k+int(n):]
		return v
	}
	for len(b) > 0 {
		k := dragnet.ValueKind(str())
		out = append(out, dragnet.Value{Kind: k, Value: str()})
	}
	return out
}

// release frees the chunks holding only objects before i.
func (a *arena) release(i int) {
	last := len(a.chunks)
	if i < len(a.spans) {
		last = int(a.spans[i].chunk)
	}
	for c := 0; c < last; c++ {
		a.chunks[c] = nil
	}
}
