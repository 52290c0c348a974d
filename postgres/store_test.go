package postgres_test

import (
	"testing"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/postgres"
	"github.com/dragnet-intel/dragnet/postgres/pgtest"
	"github.com/dragnet-intel/dragnet/storetest"
)

// TestStore runs the conformance suite every backend passes, each case on
// a schema of its own.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) dragnet.Store { return pgtest.Open(t, postgres.Options{}) })
}
