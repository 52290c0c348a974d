package feed

import (
	"bytes"
)

// Fingerprint is a 64-bit hash (FNV-1a) of what an entry's object says,
// as the pipeline compares it with a stored version: its members in key
// order, without created and modified, and without the run's times when
// it has them. Two objects with the same fingerprint say the same (but
// for a chance of 2^-64). It is 0 for an object it cannot read plainly
// (see topMembers).
func Fingerprint(it *Item) uint64 {
	if it.Object == nil {
		return 0
	}
	var buf [24]member
	ms, ok := topMembers(it.Object.Raw, buf[:0])
	if !ok {
		return 0
	}
	h := uint64(fnvOffset)
	if it.RunTimes {
		h = fnvByte(h, 1)
	}
	for _, m := range ms {
		if ignored(m.key, it.RunTimes) {
			continue
		}
		h = fnvByte(fnvString(h, m.key), 0)
		h = fnvByte(fnvBytes(h, m.value), 0)
	}
	if h != 0 {
		return h
	}
	return 1
}

// FNV-1a, 64 bits, written out so that hashing allocates nothing.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvByte(h uint64, c byte) uint64 { return (h ^ uint64(c)) * fnvPrime }

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

func fnvBytes(h uint64, b []byte) uint64 {
	for _, c := range b {
		h = (h ^ uint64(c)) * fnvPrime
	}
	return h
}

// ignored reports whether key is left out when versions are compared.
func ignored(key string, runTimes bool) bool {
	if key == "created" || key == "modified" {
		return true
	}
	return runTimes && (key == "valid_from" || key == "first_observed" || key == "last_observed")
}

// member is one top-level member of a JSON object: its key and its value
// as written.
type member struct {
	key   string
	value []byte
}

// topMembers splits a JSON object into its top-level members, sorted by
// key, without decoding the values. It reports false for anything it does
// not read plainly (not an object, a key with escapes, a repeated key, bad
// syntax): the caller then compares by decoding.
func topMembers(raw []byte, dst []member) ([]member, bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, false
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return dst, skipSpace(raw, i+1) == len(raw)
	}
	for {
		if i >= len(raw) || raw[i] != '"' {
			return nil, false
		}
		end := i + 1
		for end < len(raw) && raw[end] != '"' {
			if raw[end] == '\\' {
				return nil, false
			}
			end++
		}
		if end >= len(raw) {
			return nil, false
		}
		key := string(raw[i+1 : end])
		i = skipSpace(raw, end+1)
		if i >= len(raw) || raw[i] != ':' {
			return nil, false
		}
		i = skipSpace(raw, i+1)
		vend, ok := skipValue(raw, i)
		if !ok {
			return nil, false
		}
		dst = append(dst, member{key, raw[i:vend]})
		i = skipSpace(raw, vend)
		if i >= len(raw) {
			return nil, false
		}
		if raw[i] == '}' {
			if skipSpace(raw, i+1) != len(raw) {
				return nil, false
			}
			break
		}
		if raw[i] != ',' {
			return nil, false
		}
		i = skipSpace(raw, i+1)
	}
	// Insertion sort: a dozen members, often nearly in order.
	for a := 1; a < len(dst); a++ {
		for b := a; b > 0 && dst[b].key < dst[b-1].key; b-- {
			dst[b], dst[b-1] = dst[b-1], dst[b]
		}
	}
	for k := 1; k < len(dst); k++ {
		if dst[k].key == dst[k-1].key {
			return nil, false
		}
	}
	return dst, true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at i. It checks
// nesting and strings, not the literals' spelling: a value it passes is
// only ever compared byte for byte with another.
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				end, ok := skipString(b, i)
				if !ok {
					return 0, false
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return 0, false
	}
	j := i
	for j < len(b) {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j, j > i
		}
		j++
	}
	return j, j > i
}

// skipString returns the end of the JSON string starting at i.
func skipString(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}

// sameMembers compares two objects member by member, ignoring the keys in
// skip. It returns same=true when both hold the same keys with
// byte-identical values, decided=false when some value differs only in its
// bytes (the caller then compares by decoding), and same=false,
// decided=true when the key sets differ.
func sameMembers(a, b []byte, skip func(string) bool) (same, decided bool) {
	var abuf, bbuf [24]member
	ma, ok := topMembers(a, abuf[:0])
	if !ok {
		return false, false
	}
	mb, ok := topMembers(b, bbuf[:0])
	if !ok {
		return false, false
	}
	i, j := 0, 0
	for {
		for i < len(ma) && skip(ma[i].key) {
			i++
		}
		for j < len(mb) && skip(mb[j].key) {
			j++
		}
		if i == len(ma) || j == len(mb) {
			return i == len(ma) && j == len(mb), i == len(ma) && j == len(mb)
		}
		if ma[i].key != mb[j].key {
			return false, true
		}
		if !bytes.Equal(ma[i].value, mb[j].value) {
			return false, false
		}
		i++
		j++
	}
}
