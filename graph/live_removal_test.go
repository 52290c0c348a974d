package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/graph"
	"github.com/dragnet-intel/dragnet/postgres"
	"github.com/dragnet-intel/dragnet/postgres/pgtest"
	"github.com/dragnet-intel/dragnet/sqlite"
	"github.com/dragnet-intel/dragnet/stix"
)

// liveStore is what a Live graph follows.
type liveStore interface {
	dragnet.Store
	dragnet.ObjectScanner
}

func TestLiveWorldsSQLite(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			db, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			randomLiveWorld(t, db, seed)
		})
	}
}

func TestLiveWorldsPostgres(t *testing.T) {
	for seed := uint64(1); seed <= 2; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			db := pgtest.Open(t, postgres.Options{})
			randomLiveWorld(t, db, seed)
		})
	}
}

// world is a small store of members publishing, versioning and deleting
// indicators, each object kept by its author in one collection.
type world struct {
	t      *testing.T
	db     liveStore
	orgs   []*dragnet.Org
	colls  [][]string // per organisation: the collections it may write
	red    map[string]bool
	objs   []worldObj
	sys    context.Context
	nextID int
}

type worldObj struct {
	n        int
	org      int
	coll     string
	sighting bool // a sighting of indicator of; else an indicator
	of       int
	versions int // published and not deleted
}

func (o *worldObj) id() string {
	if o.sighting {
		return fmt.Sprintf("sighting--00000000-0000-4000-8000-%012d", o.n)
	}
	return indicatorID(o.n)
}

func sightingSub(t *testing.T, o *worldObj, modified string, red bool) *dragnet.Submission {
	t.Helper()
	m := map[string]any{"type": "sighting", "spec_version": "2.1", "id": o.id(), "created": "2026-01-01T00:00:00.000Z", "modified": modified,
		"sighting_of_ref": indicatorID(o.of), "first_seen": "2026-03-01T00:00:00Z", "count": 2}
	if red {
		m["object_marking_refs"] = []string{dragnet.TLP2Red}
	}
	raw, _ := json.Marshal(m)
	so, err := stix.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return &dragnet.Submission{Object: so}
}

func (w *world) octx(i int, role dragnet.Role) context.Context {
	return dragnet.OrgContext(context.Background(), w.orgs[i], role)
}

func (w *world) access(i int) *dragnet.Access {
	a, err := w.db.Access(w.octx(i, dragnet.RoleRead))
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

func (w *world) publish(o *worldObj, ip string, red bool) {
	w.t.Helper()
	mod := fmt.Sprintf("2026-01-%02dT00:00:00.000Z", 1+o.versions)
	sub := indicatorSub(w.t, o.n, mod, ip, red)
	if o.sighting {
		sub = sightingSub(w.t, o, mod, red)
	}
	rs, err := w.db.AddObjects(w.octx(o.org, dragnet.RoleWrite), o.coll, "", []*dragnet.Submission{sub})
	if err != nil || rs[0].Err != nil {
		w.t.Fatalf("publishing %d to %s: %v %v", o.n, o.coll, err, rs)
	}
	o.versions++
}

// remove deletes the newest version of o, or all of them.
func (w *world) remove(o *worldObj, all bool) {
	w.t.Helper()
	f := dragnet.Filter{Versions: []string{"last"}}
	if all || o.versions == 1 {
		f.Versions = []string{"all"}
	}
	if err := w.db.DeleteObject(w.octx(o.org, dragnet.RoleWrite), o.coll, o.id(), f); err != nil {
		w.t.Fatalf("deleting %d from %s: %v", o.n, o.coll, err)
	}
	if f.Versions[0] == "all" {
		o.versions = 0
	} else {
		o.versions--
	}
}

func indicatorID(n int) string { return fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", n) }

// answers is every organisation's correlation of every key, as text.
func (w *world) answers(l *graph.Live, keys []string) string {
	var b strings.Builder
	for i, o := range w.orgs {
		a := w.access(i)
		for _, k := range keys {
			cr, err := l.Correlate(a, k)
			j, _ := json.Marshal(cr)
			fmt.Fprintf(&b, "%s %s %s %s\n", o.Name, k, j, dragnet.ErrorCode(err))
		}
	}
	return b.String()
}

// randomLiveWorld publishes, versions and deletes at random, applying each step
// with CatchUp and now and then rebuilding, and checks after every step
// that Live answers every member exactly as a graph freshly built from the
// store does: a deleted submission stops counting at once, a deleted
// newest version gives way to the one before it, sightings published or
// deleted since the build count at once, and (with
// TestPolicyProperty proving the built graph) nothing invisible counts.
func randomLiveWorld(t *testing.T, db liveStore, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 7))
	sys := dragnet.SystemContext(context.Background())
	w := &world{t: t, db: db, sys: sys, red: map[string]bool{}}
	for _, o := range []struct{ name, cc string }{{"A", "DE"}, {"B", "FR"}, {"C", "DE"}, {"D", "US"}} {
		org := &dragnet.Org{Name: o.name, Country: o.cc}
		if err := db.CreateOrg(sys, org); err != nil {
			t.Fatal(err)
		}
		w.orgs = append(w.orgs, org)
	}
	for _, g := range []struct {
		name    string
		members []string
	}{{"G1", []string{"A", "B"}}, {"G2", []string{"B", "C", "D"}}} {
		if _, err := db.CreateGroup(sys, g.name, g.members); err != nil {
			t.Fatal(err)
		}
	}
	for i := range w.orgs {
		cs, err := db.Collections(w.octx(i, dragnet.RoleWrite))
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range cs {
			if c.CanWrite {
				ids = append(ids, c.CollectionID)
				w.red[c.CollectionID] = c.CollectionID != dragnet.CommunityCollectionID
			}
		}
		slices.Sort(ids)
		w.colls = append(w.colls, ids)
	}
	ips := []string{"198.51.100.1", "198.51.100.2", "198.51.100.3", "203.0.113.4"}
	keys := slices.Clone(ips)
	live := graph.NewLive(db, db.ListOrgs, graph.Options{}, nil)
	newObj := func() {
		w.nextID++
		org := r.IntN(len(w.orgs))
		o := worldObj{n: w.nextID, org: org, coll: w.colls[org][r.IntN(len(w.colls[org]))]}
		var inds []int
		for _, x := range w.objs {
			if !x.sighting {
				inds = append(inds, x.n)
			}
		}
		if len(inds) > 0 && r.IntN(3) == 0 {
			o.sighting, o.of = true, inds[r.IntN(len(inds))]
		}
		w.publish(&o, ips[r.IntN(len(ips))], w.red[o.coll] && r.IntN(3) == 0)
		w.objs = append(w.objs, o)
		keys = append(keys, o.id())
	}
	for range 4 {
		newObj()
	}
	if err := live.Reload(sys); err != nil {
		t.Fatal(err)
	}
	fresh := graph.NewLive(db, db.ListOrgs, graph.Options{}, nil)
	check := func(step int, what string) {
		t.Helper()
		if err := fresh.Reload(sys); err != nil {
			t.Fatal(err)
		}
		want, got := w.answers(fresh, keys), w.answers(live, keys)
		if got != want {
			t.Fatalf("step %d (%s): the live graph answers\n%s\na rebuild answers\n%s", step, what, got, want)
		}
	}
	deleted, sighted := 0, 0
	for step := range 50 {
		var what string
		var alive []int
		for i, o := range w.objs {
			if o.versions > 0 {
				alive = append(alive, i)
			}
		}
		switch k := r.IntN(10); {
		case k < 3 || len(alive) == 0:
			what = "publish"
			newObj()
		case k < 6:
			o := &w.objs[alive[r.IntN(len(alive))]]
			what = fmt.Sprintf("new version of %s", o.id())
			if o.sighting {
				// The sighting now names another indicator, or the same.
				o.of = 1 + r.IntN(w.nextID)
				for w.objs[o.of-1].sighting {
					o.of--
				}
			}
			w.publish(o, ips[r.IntN(len(ips))], w.red[o.coll] && r.IntN(3) == 0)
		default:
			o := &w.objs[alive[r.IntN(len(alive))]]
			all := r.IntN(2) == 0
			what = fmt.Sprintf("delete %s (all %v, of %d versions)", o.id(), all, o.versions)
			w.remove(o, all)
			deleted++
		}
		if err := live.CatchUp(sys); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(w.answers(live, keys), `"sightings":1`) {
			sighted++
		}
		check(step, what)
		if r.IntN(8) == 0 {
			if err := live.Reload(sys); err != nil {
				t.Fatal(err)
			}
			check(step, what+", rebuilt")
		}
	}
	if deleted == 0 || sighted == 0 {
		t.Fatalf("%d deletions tried, %d steps with sightings counted", deleted, sighted)
	}
}
