package main

import (
	"context"
	"encoding/json"
	"time"

	"github.com/dragnet-intel/dragnet/match"
)

// runBenchMatch is `dragnet bench match`: it compiles a deterministic
// synthetic indicator set and prints one JSON line of lookup rates against
// plain Go maps (see match.Bench).
func (m *Main) runBenchMatch(ctx context.Context, args []string) error {
	fs := m.newFlagSet("bench match", "[--indicators N] [--seed S] [--duration D]")
	n := fs.Int("indicators", 10_000_000, "indicators in the synthetic set (50% IPv4, 10% CIDR, 30% domains, 10% SHA-256)")
	seed := fs.Uint64("seed", 1, "generator seed")
	d := fs.Duration("duration", time.Second, "time spent measuring each stream")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rep, err := match.Bench(match.BenchConfig{Indicators: *n, Seed: *seed, Duration: *d})
	if err != nil {
		return err
	}
	return json.NewEncoder(m.Stdout).Encode(rep)
}
