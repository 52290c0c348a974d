package match

import (
	"syscall"
	"unsafe"
)

// madvCollapse is Linux's MADV_COLLAPSE (since 6.1), which syscall does
// not name.
const madvCollapse = 25

const hugePage = 2 << 20

// hugePages asks the kernel to back the 2 MiB-aligned interior of the
// n bytes at p with huge pages, now (MADV_COLLAPSE) and for pages not
// yet touched (MADV_HUGEPAGE). A lookup in a table of hundreds of
// megabytes otherwise misses the TLB on nearly every probe, and in a
// virtual machine a TLB miss costs several memory reads of its own. It is
// advice: kernels or settings that refuse it leave the memory as it was.
func hugePages(p unsafe.Pointer, n int) {
	start := (uintptr(p) + hugePage - 1) &^ (hugePage - 1)
	end := (uintptr(p) + uintptr(n)) &^ (hugePage - 1)
	if end <= start {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Add(p, start-uintptr(p))), end-start)
	_ = syscall.Madvise(b, syscall.MADV_HUGEPAGE)
	_ = syscall.Madvise(b, madvCollapse)
}
