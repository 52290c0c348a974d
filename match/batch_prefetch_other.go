//go:build !amd64

package match

import "unsafe"

// prefetchAt reads the byte at base+off for each off of offs, bringing
// its line into the cache, and returns a value derived from them that the
// caller keeps so the reads are not optimised away.
func prefetchAt(base unsafe.Pointer, offs []uint64) uint32 {
	var sink uint32
	for _, off := range offs {
		sink += uint32(*(*byte)(unsafe.Add(base, off)))
	}
	return sink
}
