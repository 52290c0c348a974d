package graph_test

import (
	"context"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/graph"
	"github.com/dragnet-intel/dragnet/observable"
	"github.com/dragnet-intel/dragnet/scenario"
	"github.com/dragnet-intel/dragnet/sqlite"
	"github.com/dragnet-intel/dragnet/stix"
)

// TestLiveFromSQLite builds the graph from a real SQLite store: one
// organisation's bundle in the community, another's in its own audience,
// and checks each sees only what it may.
func TestLiveFromSQLite(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sys := dragnet.SystemContext(ctx)
	s, err := scenario.New(scenario.Config{Seed: 4, Countries: 3, Botnets: 1, Bots: 20, Incidents: 2})
	if err != nil {
		t.Fatal(err)
	}
	orgs := make([]*dragnet.Org, len(s.Orgs))
	for i, o := range s.Orgs {
		orgs[i] = &dragnet.Org{Name: o.Name, Country: o.Country, Kind: o.Kind}
		if err := db.CreateOrg(sys, orgs[i]); err != nil {
			t.Fatal(err)
		}
	}
	subs := make([][]*dragnet.Submission, len(orgs))
	if _, err := s.Generate(func(org int, raw []byte) error {
		o, err := stix.Decode(raw)
		if err != nil {
			return err
		}
		subs[org] = append(subs[org], &dragnet.Submission{Object: o, Values: observable.Values(o)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	inc := s.Truth.Incidents[0]
	var reporter int
	for i, o := range s.Orgs {
		if o.Name == inc.Reporter {
			reporter = i
		}
	}
	// The reporter keeps its objects in its own collection; everyone else
	// publishes to the community.
	for i, ss := range subs {
		octx := dragnet.OrgContext(ctx, orgs[i], dragnet.RoleWrite)
		coll := dragnet.CommunityCollectionID
		if i == reporter {
			cs, err := db.Collections(octx)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				if c.Kind == dragnet.AudienceOrg {
					coll = c.CollectionID
				}
			}
		}
		if _, err := db.AddObjects(octx, coll, "", ss); err != nil {
			t.Fatal(err)
		}
	}
	live := graph.NewLive(db, db.ListOrgs, graph.Options{}, nil)
	if live.Graph() != nil {
		t.Fatal("a graph before the first reload")
	}
	if err := live.Reload(ctx); dragnet.ErrorCode(err) != dragnet.EUNAUTHORIZED && dragnet.ErrorCode(err) != dragnet.EFORBIDDEN {
		t.Fatalf("reload without the system principal: %v", err)
	}
	rctx, cancel := context.WithCancel(sys)
	go live.Run(rctx, time.Hour)
	defer cancel()
	for live.Graph() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	g := live.Graph()
	mine, err := db.Access(dragnet.OrgContext(ctx, orgs[reporter], dragnet.RoleRead))
	if err != nil {
		t.Fatal(err)
	}
	other, err := db.Access(dragnet.OrgContext(ctx, orgs[(reporter+1)%len(orgs)], dragnet.RoleRead))
	if err != nil {
		t.Fatal(err)
	}
	cs, err := g.Trace(mine, []string{inc.ID}, graph.TraceOptions{})
	if err != nil || len(cs) == 0 {
		t.Fatalf("the reporter's trace: %v %+v", err, cs)
	}
	if _, err := g.Trace(other, []string{inc.ID}, graph.TraceOptions{}); dragnet.ErrorCode(err) != dragnet.ENOTFOUND {
		t.Fatalf("another organisation traces the reporter's private incident: %v", err)
	}
}
