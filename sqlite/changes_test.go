package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// next waits for a notice of kind k, skipping others.
func next(t *testing.T, ch <-chan dragnet.Change, k dragnet.ChangeKind) dragnet.Change {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case c, ok := <-ch:
			if !ok {
				t.Fatalf("channel closed waiting for %s", k)
			}
			if c.Kind == k {
				return c
			}
		case <-timeout:
			t.Fatalf("no %s notice", k)
		}
	}
}

func TestChanges(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sys := dragnet.SystemContext(ctx)
	db := open(t)
	defer db.Close()
	ch := db.Changes(ctx)
	if c := <-ch; c.Kind != dragnet.ChangeResync {
		t.Fatalf("first notice %v, want resync", c)
	}
	o := &dragnet.Org{Name: "A", Country: "NL"}
	if err := db.CreateOrg(sys, o); err != nil {
		t.Fatal(err)
	}
	next(t, ch, dragnet.ChangeAccess)
	as := dragnet.OrgContext(ctx, o, dragnet.RoleWrite)
	if _, err := db.AddObjects(as, dragnet.CommunityCollectionID, "", []*dragnet.Submission{indicator(1)}); err != nil {
		t.Fatal(err)
	}
	c := next(t, ch, dragnet.ChangeObjects)
	p, _ := db.Objects(as, dragnet.CommunityCollectionID, dragnet.Filter{Types: []string{"indicator"}}, false)
	if len(p.Objects) != 1 || !c.DateAdded.Equal(p.Objects[0].DateAdded) {
		t.Errorf("notice DateAdded %v, object's %v", c.DateAdded, p.Objects)
	}
	if err := db.DeleteObject(as, dragnet.CommunityCollectionID, indicator(1).Object.ID, dragnet.Filter{}); err != nil {
		t.Fatal(err)
	}
	if c := next(t, ch, dragnet.ChangeDelete); c.ObjectID != indicator(1).Object.ID {
		t.Errorf("delete notice %+v", c)
	}
	if _, err := db.CreateGroup(sys, "g", []string{"A"}); err != nil {
		t.Fatal(err)
	}
	next(t, ch, dragnet.ChangeAccess)

	// Another handle's writes (another process) arrive as a resync.
	other, err := openDir(t, db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	time.Sleep(700 * time.Millisecond) // let the poller see the current generation
	if _, err := other.CreateGroup(sys, "h", nil); err != nil {
		t.Fatal(err)
	}
	next(t, ch, dragnet.ChangeResync)

	cancel()
	for range ch {
	}
}
