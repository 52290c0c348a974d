package graph

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// Live holds the graph of a running node: built from the store, answered
// from memory, rebuilt and swapped in as the store changes (queries in
// flight keep the graph they started with).
type Live struct {
	cur  atomic.Pointer[Graph]
	src  dragnet.ObjectScanner
	orgs func(context.Context) ([]*dragnet.Org, error)
	opts Options
	log  *slog.Logger
}

// NewLive returns a Live graph over src; orgs lists the organisations
// (for their countries). Call Reload, or Run, to build it.
func NewLive(src dragnet.ObjectScanner, orgs func(context.Context) ([]*dragnet.Org, error), opts Options, log *slog.Logger) *Live {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Live{src: src, orgs: orgs, opts: opts, log: log}
}

// Graph returns the current graph, nil until the first Reload succeeds.
func (l *Live) Graph() *Graph { return l.cur.Load() }

// Reload builds a new graph from the store and swaps it in. ctx must carry
// the system principal.
func (l *Live) Reload(ctx context.Context) error {
	start := time.Now()
	orgs, err := l.orgs(ctx)
	if err != nil {
		return err
	}
	g, skipped, err := Load(ctx, l.src, orgs, l.opts)
	if err != nil {
		return err
	}
	l.cur.Store(g)
	l.log.Info("graph built", "nodes", g.Len(), "edges", g.Edges(), "skipped", skipped, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// Run reloads now and then every interval until ctx is done, logging
// failures (the previous graph keeps answering).
func (l *Live) Run(ctx context.Context, every time.Duration) {
	for {
		if err := l.Reload(ctx); err != nil && ctx.Err() == nil {
			l.log.Error("building the graph", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}
