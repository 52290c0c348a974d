package match

import "unsafe"

// prefetchAt asks the processor to bring into the cache the bytes at
// base+off for each off of offs, without waiting for them: a prefetch
// instruction leaves the core's reorder window at once, where a load that
// misses the cache holds it until its data arrives, so prefetches keep
// many more reads in flight behind other work. It returns 0 (see the
// portable version).
//
//go:noescape
func prefetchAt(base unsafe.Pointer, offs []uint64) uint32
