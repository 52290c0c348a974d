package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/dragnet-intel/dragnet"
)

func (m *Main) runVersion(ctx context.Context, args []string) error {
	fs := m.newFlagSet("version", "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "dragnet %s %s\n", dragnet.Version, runtime.Version())
	return nil
}
