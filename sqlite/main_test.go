package sqlite_test

import (
	"os"
	"testing"
)

var benchDir string

// tempDir returns a directory that lives for the whole test binary (the
// read benchmarks share one filled store) and is removed at exit.
func tempDir() (string, error) {
	if benchDir == "" {
		d, err := os.MkdirTemp("", "dragnet-sqlite-bench-")
		if err != nil {
			return "", err
		}
		benchDir = d
	}
	return benchDir, nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	if filled != nil {
		filled.Close()
	}
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}
