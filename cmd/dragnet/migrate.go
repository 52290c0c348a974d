package main

import (
	"context"
	"fmt"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/postgres"
)

// runMigrate applies the PostgreSQL schema migrations explicitly. Nodes
// also apply them when they open the database; several doing so at once is
// safe (an advisory lock serialises them). The embedded SQLite store
// migrates when it is opened, so --data needs no command.
func (m *Main) runMigrate(ctx context.Context, args []string) error {
	fs := m.newFlagSet("migrate", "--db postgres://USER@HOST:PORT/DB [--schema NAME]")
	url := fs.String("db", "", "PostgreSQL database URL (required)")
	schema := fs.String("schema", "", "schema to hold the store (created if missing; default: the search_path's first)")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long (a node may hold the migration lock)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return dragnet.Errorf(dragnet.EINVALID, "migrate takes no arguments, got %q", fs.Arg(0))
	}
	if *url == "" {
		return dragnet.Errorf(dragnet.EINVALID, "--db is required (the SQLite store migrates itself when opened)")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	done, err := postgres.Migrate(ctx, *url, postgres.Options{Logger: m.Logger, Schema: *schema})
	for _, name := range done {
		fmt.Fprintln(m.Stdout, "applied", name)
	}
	if err != nil {
		return err
	}
	if len(done) == 0 {
		fmt.Fprintln(m.Stdout, "schema is current")
	}
	return nil
}
