package main

import (
	"context"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/postgres"
)

// openPostgres opens the PostgreSQL store, applying migrations not yet
// applied (safe when several nodes start together).
func (m *Main) openPostgres(ctx context.Context, url string) (dragnet.Store, error) {
	return postgres.Open(ctx, url, postgres.Options{Logger: m.Logger})
}
