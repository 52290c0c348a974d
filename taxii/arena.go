package taxii

// arena holds the raw JSON of a posted envelope's valid objects, in order,
// packed into large chunks: one copy of each object and a few bytes of
// bookkeeping, with no per-object allocation for the GC to trace. Chunks
// are released as the objects in them are stored.
type arena struct {
	chunks [][]byte
	spans  []span
}

type span struct {
	chunk    int32
	off, len int32
}

const arenaChunk = 1 << 20

// add appends a copy of raw.
func (a *arena) add(raw []byte) {
	n := len(a.chunks)
	if n == 0 || cap(a.chunks[n-1])-len(a.chunks[n-1]) < len(raw) {
		a.chunks = append(a.chunks, make([]byte, 0, max(arenaChunk, len(raw))))
		n++
	}
	c := a.chunks[n-1]
	a.spans = append(a.spans, span{chunk: int32(n - 1), off: int32(len(c)), len: int32(len(raw))})
	a.chunks[n-1] = append(c, raw...)
}

// len is the number of objects held.
func (a *arena) len() int { return len(a.spans) }

// get returns object i; it must not be used after release(i+1).
func (a *arena) get(i int) []byte {
	s := a.spans[i]
	return a.chunks[s.chunk][s.off : s.off+s.len : s.off+s.len]
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
