#include "textflag.h"

// func prefetchAt(base unsafe.Pointer, offs []uint64) uint32
TEXT ·prefetchAt(SB), NOSPLIT, $0-36
	MOVQ base+0(FP), AX
	MOVQ offs_base+8(FP), BX
	MOVQ offs_len+16(FP), CX
	TESTQ CX, CX
	JLE done
loop:
	MOVQ (BX), DX
	PREFETCHT0 (AX)(DX*1)
	ADDQ $8, BX
	DECQ CX
	JNZ loop
done:
	MOVL $0, ret+32(FP)
	RET
