package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/sqlite"
)

// TestBackgroundCheckpoint writes more pages than CheckpointPages, and
// fewer than the writer's own limit: the database file grows, so the
// background checkpointer copied the WAL into it.
func TestBackgroundCheckpoint(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, dir, sqlite.Options{CheckpointPages: 200})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	size := func() int64 {
		fi, err := os.Stat(filepath.Join(dir, sqlite.FileName))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	o := &dragnet.Org{Name: "ckpt", Country: "NL"}
	if err := db.CreateOrg(dragnet.SystemContext(ctx), o); err != nil {
		t.Fatal(err)
	}
	octx := dragnet.OrgContext(ctx, o, dragnet.RoleWrite)
	before := size()
	for b := 0; b < 3; b++ {
		subs := make([]*dragnet.Submission, 500)
		for i := range subs {
			subs[i] = indicator(b*500 + i)
		}
		if _, err := db.AddObjects(octx, dragnet.CommunityCollectionID, "", subs); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for size() < before+1<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("the database file is %d bytes, %d before 1,500 objects were written: nothing was checkpointed", size(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Closing while a checkpoint may be under way, and twice, is fine.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}
