package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/postgres/pgtest"
)

func TestMigrateCommand(t *testing.T) {
	url, schema := pgtest.URL(t), pgtest.Schema(t)
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: io.Discard,
			Getenv: func(string) string { return "" }, Logger: slog.New(slog.DiscardHandler)}
		err := m.Run(context.Background(), args)
		return out.String(), err
	}
	out, err := run("migrate", "--db", url, "--schema", schema)
	if err != nil || !strings.Contains(out, "applied 0001_init.sql") {
		t.Fatalf("first migrate: %q, %v", out, err)
	}
	out, err = run("migrate", "--db", url, "--schema", schema)
	if err != nil || !strings.Contains(out, "schema is current") {
		t.Fatalf("second migrate: %q, %v", out, err)
	}
	if _, err := run("migrate"); dragnet.ErrorCode(err) != dragnet.EINVALID {
		t.Fatalf("migrate without --db: %v", err)
	}
	if _, err := run("migrate", "--db", "postgres://nobody@127.0.0.1:1/x?connect_timeout=2"); err == nil {
		t.Fatal("migrate against nothing succeeded")
	}
}
