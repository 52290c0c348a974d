// Package pgtest gives tests a PostgreSQL store of their own: a fresh
// schema in the database named by DRAGNET_TEST_POSTGRES, dropped when the
// test ends. Without that variable the test is skipped, unless
// DRAGNET_REQUIRE_POSTGRES=1 (as in CI), when it fails instead.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dragnet-intel/dragnet/postgres"
)

// URL returns the test database URL, skipping (or, when PostgreSQL tests
// are required, failing) the test if there is none.
func URL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("DRAGNET_TEST_POSTGRES")
	if url == "" {
		if os.Getenv("DRAGNET_REQUIRE_POSTGRES") == "1" {
			t.Fatal("DRAGNET_REQUIRE_POSTGRES=1 but DRAGNET_TEST_POSTGRES names no database")
		}
		t.Skip("DRAGNET_TEST_POSTGRES not set: skipping PostgreSQL test")
	}
	return url
}

// Schema returns a new schema name, dropped with everything in it when the
// test ends.
func Schema(t testing.TB) string {
	t.Helper()
	url := URL(t)
	var b [6]byte
	rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Logf("dropping schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
			t.Logf("dropping schema %s: %v", schema, err)
		}
	})
	return schema
}

// Open opens a store in a new schema of its own (opts.Schema is set). More
// stores on the same schema, as further nodes, come from OpenSchema.
func Open(t testing.TB, opts postgres.Options) *postgres.DB {
	t.Helper()
	opts.Schema = Schema(t)
	return OpenSchema(t, opts)
}

// OpenSchema opens a store on opts.Schema, closed when the test ends.
func OpenSchema(t testing.TB, opts postgres.Options) *postgres.DB {
	t.Helper()
	if opts.MaxConns == 0 {
		opts.MaxConns = 8
	}
	db, err := postgres.Open(context.Background(), URL(t), opts)
	if err != nil {
		t.Fatalf("opening postgres: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
