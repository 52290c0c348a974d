package match

import (
	"strings"

	"github.com/dragnet-intel/dragnet"
)

// hashProbe is the state of one hash during a batch.
type hashProbe struct {
	key   [64]byte
	h     uint64
	ok    bool // decoded
	lower bool // written in lower case
	cand  bool // the filter lets it through
}

// LookupHashes looks up file hashes of one kind (MD5, SHA-1, SHA-256 or
// SHA-512, written in hex of either case) as a batch and calls fn with
// the index in hexs of each that hit and its hits, in order (hits is
// valid only during the call). Hits are those AppendHash gives.
func (b *Batch) LookupHashes(ix *Index, kind dragnet.ValueKind, hexs []string, access *dragnet.Access, fn func(i int, hits []Hit)) {
	n := kind.HashBytes()
	if n == 0 {
		return
	}
	b.pol.set(access)
	if b.hash == nil {
		b.hash = new([batchSize]hashProbe)
	}
	for base := 0; base < len(hexs); base += batchSize {
		b.hashChunk(ix, kind, n, hexs[base:min(len(hexs), base+batchSize)], base, fn)
	}
}

func (b *Batch) hashChunk(ix *Index, kind dragnet.ValueKind, n int, hexs []string, base int, fn func(int, []Hit)) {
	ps := b.hash[:len(hexs)]
	f := ix.hashFilter(kind)
	sink := b.sink
	for i, s := range hexs {
		p := &ps[i]
		p.ok, p.lower = decodeHexLower(p.key[:n], s)
		p.cand = false
		if p.ok {
			p.h = hashDigest(p.key[:n])
			if len(f.blocks) > 0 {
				sink += f.block(p.h)[0]
			}
		}
	}
	for i := range ps {
		if p := &ps[i]; p.ok {
			sink += ix.touchHash(kind, p.h)
			p.cand = f.mayContain(p.h)
		}
	}
	b.sink = sink
	for i := range ps {
		p := &ps[i]
		if !p.cand {
			continue
		}
		var ref *rec
		switch kind {
		case dragnet.ValueMD5:
			ref = ix.md5.get([16]byte(p.key[:16]), p.h)
		case dragnet.ValueSHA1:
			ref = ix.sha1.get([20]byte(p.key[:20]), p.h)
		case dragnet.ValueSHA256:
			ref = ix.sha256.get([32]byte(p.key[:32]), p.h)
		default:
			ref = ix.sha512.get(p.key, p.h)
		}
		if ref == nil {
			continue
		}
		v := dragnet.Value{Kind: kind, Value: hexs[i]}
		if !p.lower {
			v.Value = strings.ToLower(v.Value)
		}
		hits := ix.filterSuppressed(ix.appendRecs(b.hits[:0], ref, &b.pol, strMatch(v.Kind, v.Value)), 0, v)
		if len(hits) > 0 {
			fn(base+i, hits)
		}
		b.hits = hits
	}
}

// hashFilter returns the filter of the table of a hash kind.
func (ix *Index) hashFilter(kind dragnet.ValueKind) *bloom {
	switch kind {
	case dragnet.ValueMD5:
		return &ix.md5.filter
	case dragnet.ValueSHA1:
		return &ix.sha1.filter
	case dragnet.ValueSHA256:
		return &ix.sha256.filter
	}
	return &ix.sha512.filter
}

// touchHash is touchSlots on the table of a hash kind.
func (ix *Index) touchHash(kind dragnet.ValueKind, h uint64) uint32 {
	switch kind {
	case dragnet.ValueMD5:
		return touchSlots(&ix.md5, h)
	case dragnet.ValueSHA1:
		return touchSlots(&ix.sha1, h)
	case dragnet.ValueSHA256:
		return touchSlots(&ix.sha256, h)
	}
	return touchSlots(&ix.sha512, h)
}
