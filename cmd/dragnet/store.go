package main

import (
	"context"
	"flag"
	"strings"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/sqlite"
)

// storeFlags are the flags that choose the store, shared by every command
// that works on one.
type storeFlags struct {
	data string
	db   string
}

func (sf *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&sf.data, "data", "", "directory of the embedded store (SQLite)")
	fs.StringVar(&sf.db, "db", "", "PostgreSQL URL (postgres://…) instead of the embedded store")
}

// openStore opens the store the flags name.
func (m *Main) openStore(ctx context.Context, sf storeFlags) (dragnet.Store, error) {
	switch {
	case sf.data != "" && sf.db != "":
		return nil, dragnet.Errorf(dragnet.EINVALID, "give either --data or --db, not both")
	case sf.db != "":
		if !strings.HasPrefix(sf.db, "postgres://") && !strings.HasPrefix(sf.db, "postgresql://") {
			return nil, dragnet.Errorf(dragnet.EINVALID, "--db %q is not a postgres:// URL", sf.db)
		}
		return m.openPostgres(ctx, sf.db)
	case sf.data != "":
		return sqlite.Open(ctx, sf.data, sqlite.Options{Logger: m.Logger})
	}
	return nil, dragnet.Errorf(dragnet.EINVALID, "give --data DIR (embedded store) or --db postgres://…")
}
