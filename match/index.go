// Package match compiles indicators into in-memory indexes and matches
// telemetry against them: exact sets of IPv4 and IPv6 addresses, CIDR
// ranges, domains (exact and "subdomain of"), normalised URLs, e-mail
// addresses and file hashes, each behind a cache-resident filter so that
// the common case, a miss, costs a few cache reads.
//
// The indexes are pointer-free (fixed-size keys, fingerprints and offsets
// into one record arena), so their size does not weigh on garbage
// collection. Every hit passes the sharing policy: a lookup returns only
// indicators published to an audience the caller's dragnet.Access can see.
package match

import (
	"fmt"
	"hash/maphash"
	"iter"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/dragnet-intel/dragnet"
	"github.com/gaissmai/bart"
)

// Entry is one indicator value to compile: the value an indicator requires
// and what a hit on it reports.
type Entry struct {
	Value       dragnet.Value // normalised (dragnet.NormalizeValue)
	IndicatorID string
	Audience    int64 // the audience the indicator version was published to
	TLP         dragnet.TLP
	Confidence  int       // 0..100; 0 also when unknown
	ValidFrom   time.Time // zero: no lower bound
	ValidUntil  time.Time // zero: no upper bound
	Revoked     bool
}

// Options tune compilation.
type Options struct {
	// Now is the clock that decides which indicators are valid; nil means
	// time.Now. The index keeps the time of compilation until SetNow
	// moves it.
	Now func() time.Time
	// Suppress holds warninglisted values: they never produce a hit,
	// whatever indicator carries them.
	Suppress *Suppression
	// Skip, if set, is told of each entry that is not valid (with the
	// EINVALID error saying why), which is then left out instead of
	// failing the compilation.
	Skip func(e Entry, err error)
}

// Index is a compiled, immutable set of indicator values. It is safe for
// concurrent lookups. Build one with Compile.
type Index struct {
	recs    []rec
	uuids   [][16]byte // indicator ids "indicator--<uuid>", by rec.id
	ids     []byte     // other indicator ids, concatenated
	idSpans []uint64   // offset<<16 | length of each in ids, by rec.id
	seed    maphash.Seed

	ipv4   table[uint32] // filtered by ip4f, not by its own filter
	ip4f   ip4Filter     // exact IPv4 keys and CIDR-marked /24 blocks; see ip4Probe
	ipv6   table[[2]uint64]
	domain table[uint64]
	url    table[uint64]
	email  table[uint64]
	md5    table[[16]byte]
	sha1   table[[20]byte]
	sha256 table[[32]byte]
	sha512 table[[64]byte]

	cidr    *bart.Table[uint32] // IPv6 and short IPv4 CIDR indicators; nil when none
	cidr4   cidr4               // IPv4 CIDR indicators of /16 or longer, by /24 block
	cidr24  []uint64            // bit per IPv4 /24 a CIDR indicator touches
	short16 []uint64            // bit per IPv4 /16 a CIDR indicator shorter than /16 covers
	cidr6   bool                // some CIDR indicator is IPv6

	suppress *Suppression
	now      atomic.Int64 // unix seconds: validity is judged against it
	entries  int
}

// rec is one indicator carrying one value: what the policy needs and a hit
// reports. The indicator id is kept apart (hot and cold data split): it is
// read only when a hit is shown, so a slot holding a record inline stays
// small. In a table slot with recOverflow set it instead names
// (in aud) the first of several records in Index.recs, where the records
// of one value are contiguous and the last has recLast set.
type rec struct {
	aud   uint32
	from  uint32 // unix seconds; 0: none
	until uint32 // unix seconds; 0: none
	id    uint32 // index into Index.uuids, or into Index.idSpans with recArena
	tlp   uint8
	conf  uint8
	flags uint8
}

const (
	recLast     = 1 << iota // last record of its value in Index.recs
	recArena                // id indexes Index.idSpans (an id not of the form indicator--<uuid>)
	recUsed                 // the table slot holding it is occupied
	recOverflow             // the value's records are in Index.recs from aud on
)

// Len returns the number of compiled indicator values.
func (ix *Index) Len() int { return ix.entries }

// SetNow moves the time against which ValidFrom and ValidUntil are judged.
func (ix *Index) SetNow(t time.Time) { ix.now.Store(t.Unix()) }

// Compile builds an index from entries. Revoked, expired and warninglisted
// entries are left out; entries not yet valid are kept and start to hit
// when SetNow passes their ValidFrom. An entry whose value is not a
// normalised value of its kind fails compilation with EINVALID naming it;
// an error from the sequence stops it.
func Compile(entries iter.Seq2[Entry, error], opt Options) (*Index, error) {
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	t := now()
	c := newCompiler(t, opt.Suppress)
	n := 0
	for e, err := range entries {
		if err != nil {
			return nil, err
		}
		n++
		if err := c.add(e); err != nil {
			if opt.Skip != nil {
				opt.Skip(e, err)
				continue
			}
			return nil, fmt.Errorf("entry %d (%s): %w", n, e.IndicatorID, err)
		}
	}
	ix := c.build()
	ix.now.Store(t.Unix())
	return ix, nil
}

// Entries adapts a slice to the sequence Compile reads.
func Entries(es []Entry) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		for _, e := range es {
			if !yield(e, nil) {
				return
			}
		}
	}
}

// Bytes returns the memory the index holds, in bytes (the record arena,
// tables, filters and an estimate for the CIDR trie).
func (ix *Index) Bytes() int {
	n := len(ix.recs)*int(unsafe.Sizeof(rec{})) + len(ix.uuids)*16 + len(ix.ids) + len(ix.idSpans)*8 + len(ix.cidr24)*8 + len(ix.short16)*8 + ix.ip4f.bytes() +
		len(ix.cidr4.slots)*int(unsafe.Sizeof(blockSlot{})) + len(ix.cidr4.refs)*int(unsafe.Sizeof(cidr4Ref{}))
	n += tableBytes(&ix.ipv4) + tableBytes(&ix.ipv6) + tableBytes(&ix.domain) +
		tableBytes(&ix.url) + tableBytes(&ix.email) + tableBytes(&ix.md5) +
		tableBytes(&ix.sha1) + tableBytes(&ix.sha256) + tableBytes(&ix.sha512)
	if ix.cidr != nil {
		n += ix.cidr.Size() * 48 // bart's published figure for its Table
	}
	return n
}

func tableBytes[K comparable](t *table[K]) int {
	return len(t.slots)*int(unsafe.Sizeof(slot[K]{})) + t.filter.bytes()
}

// id returns the indicator id of record r.
func (ix *Index) id(r *rec) string {
	if r.flags&recArena != 0 {
		sp := ix.idSpans[r.id]
		off, l := sp>>16, sp&0xffff
		return string(ix.ids[off : off+l])
	}
	return "indicator--" + formatUUID(ix.uuids[r.id])
}

func formatUUID(u [16]byte) string {
	const hexd = "0123456789abcdef"
	var b [36]byte
	j := 0
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j] = hexd[c>>4]
		b[j+1] = hexd[c&15]
		j += 2
	}
	return string(b[:])
}

// parseIndicatorUUID reads the UUID of "indicator--<uuid>" in canonical
// lower-case form; ok is false for anything else (kept verbatim instead).
func parseIndicatorUUID(id string) (u [16]byte, ok bool) {
	s, found := strings.CutPrefix(id, "indicator--")
	if !found || len(s) != 36 {
		return u, false
	}
	j := 0
	for i := 0; i < 36; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return u, false
			}
			i++
			continue
		}
		hi, ok1 := lowerHex(s[i])
		lo, ok2 := lowerHex(s[i+1])
		if !ok1 || !ok2 {
			return u, false
		}
		u[j] = hi<<4 | lo
		j++
		i += 2
	}
	return u, true
}

func lowerHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// sortKeyed orders collected keys by hash and gives each distinct key its
// slot record: the key's only record, or an overflow record pointing at
// its records, appended contiguously to the record arena.
func sortKeyed[K comparable](ps []pending[K], recs *[]rec) []keyed[K] {
	slices.SortFunc(ps, func(a, b pending[K]) int {
		switch {
		case a.hash < b.hash:
			return -1
		case a.hash > b.hash:
			return 1
		}
		return 0
	})
	out := make([]keyed[K], 0, len(ps))
	for i := 0; i < len(ps); {
		j := i + 1
		for j < len(ps) && ps[j].hash == ps[i].hash {
			j++
		}
		// ps[i:j] share a hash; group them by key (equal hashes of
		// different keys are rare, so the quadratic grouping is cheap).
		run := ps[i:j]
		for len(run) > 0 {
			k, h, first := run[0].key, run[0].hash, run[0].rec
			n := 0
			rest := run[:0]
			start := uint32(len(*recs))
			for _, p := range run {
				if p.key != k {
					rest = append(rest, p)
					continue
				}
				n++
				if n == 2 {
					*recs = append(*recs, first)
				}
				if n >= 2 {
					*recs = append(*recs, p.rec)
				}
			}
			if n == 1 {
				out = append(out, keyed[K]{hash: h, key: k, r: first})
			} else {
				(*recs)[len(*recs)-1].flags |= recLast
				out = append(out, keyed[K]{hash: h, key: k, r: rec{aud: start, flags: recOverflow}})
			}
			run = rest
		}
		i = j
	}
	return out
}

type pending[K comparable] struct {
	hash uint64
	key  K
	rec  rec
}

type pendingPrefix struct {
	pfx netip.Prefix
	rec rec
}
