//go:build !linux

package match

import "time"

func threadCPU() time.Duration { return 0 }

const haveThreadCPU = false

func processCPU() time.Duration { return 0 }
