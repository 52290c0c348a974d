package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/sqlite"
	"github.com/dragnet-intel/dragnet/storetest"
)

func open(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) dragnet.Store { return open(t) })
}

// openDir opens a second handle on the store whose file is path.
func openDir(t testing.TB, path string) (*sqlite.DB, error) {
	return sqlite.Open(context.Background(), filepath.Dir(path), sqlite.Options{})
}
