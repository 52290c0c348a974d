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
	clock  int   // versions published
	inds   []int // the indicators' numbers
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
	return submission(t, m, red)
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
	if err := w.tryPublish(o, ip, red); err != nil {
		w.t.Fatalf("publishing %s to %s: %v", o.id(), o.coll, err)
	}
}

// tryPublish publishes a new version of o, or returns why the store
// refused it.
func (w *world) tryPublish(o *worldObj, ip string, red bool) error {
	w.t.Helper()
	// Every version anywhere is new: the same id may be kept in several
	// collections, each with its own newest version.
	w.clock++
	mod := fmt.Sprintf("2026-01-01T%02d:%02d:00.000Z", w.clock/60, w.clock%60)
	sub := indicatorSub(w.t, o.n, mod, ip, red)
	if o.sighting {
		sub = sightingSub(w.t, o, mod, red)
	}
	rs, err := w.db.AddObjects(w.octx(o.org, dragnet.RoleWrite), o.coll, "", []*dragnet.Submission{sub})
	if err != nil {
		w.t.Fatal(err)
	}
	if rs[0].Err != nil {
		return rs[0].Err
	}
	o.versions++
	return nil
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
	for i := range w.orgs {
		b.WriteString(w.answersOf(i, l.Correlate, keys))
	}
	return b.String()
}

func (w *world) answersOf(i int, correlate func(*dragnet.Access, string) (*graph.Correlation, error), keys []string) string {
	var b strings.Builder
	a := w.access(i)
	for _, k := range keys {
		cr, err := correlate(a, k)
		j, _ := json.Marshal(cr)
		fmt.Fprintf(&b, "%s %s %s %s\n", w.orgs[i].Name, k, j, dragnet.ErrorCode(err))
	}
	return b.String()
}

// seenScanner scans only what one Access may see.
type seenScanner struct {
	src dragnet.ObjectScanner
	a   *dragnet.Access
}

func (s seenScanner) ScanObjects(ctx context.Context, fn func(*dragnet.StoredObject) error) error {
	return s.src.ScanObjects(ctx, func(o *dragnet.StoredObject) error {
		if !s.a.CanSee(o.AudienceID) {
			return nil
		}
		return fn(o)
	})
}

// checkSeen checks, as TestPolicyProperty does for the built graph, that
// the live graph answers each member exactly as a graph built only from
// the submissions it may see: nothing invisible, recent or deleted,
// changes an answer.
func (w *world) checkSeen(l *graph.Live, keys []string, step int, what string) {
	w.t.Helper()
	orgs, err := w.db.ListOrgs(w.sys)
	if err != nil {
		w.t.Fatal(err)
	}
	for i := range w.orgs {
		seen, _, err := graph.Load(w.sys, seenScanner{w.db, w.access(i)}, orgs, graph.Options{})
		if err != nil {
			w.t.Fatal(err)
		}
		if got, want := w.answersOf(i, l.Correlate, keys), w.answersOf(i, seen.Correlate, keys); got != want {
			w.t.Fatalf("step %d (%s): the live graph answers %s\n%s\na graph of what it may see answers\n%s", step, what, w.orgs[i].Name, got, want)
		}
	}
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
		if len(w.inds) > 0 && r.IntN(3) == 0 {
			o.sighting, o.of = true, w.inds[r.IntN(len(w.inds))]
		} else {
			w.inds = append(w.inds, o.n)
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
	deleted, sighted, copies := 0, 0, 0
	for step := range 60 {
		var what string
		var alive []int
		for i, o := range w.objs {
			if o.versions > 0 {
				alive = append(alive, i)
			}
		}
		switch k := r.IntN(12); {
		case k < 3 || len(alive) == 0:
			what = "publish"
			newObj()
		case k < 5:
			// The author keeps the object in a second collection too.
			o := w.objs[alive[r.IntN(len(alive))]]
			held := func(coll string) bool {
				return slices.ContainsFunc(w.objs, func(x worldObj) bool { return x.n == o.n && x.coll == coll && x.versions > 0 })
			}
			colls := slices.DeleteFunc(slices.Clone(w.colls[o.org]), held)
			if len(colls) == 0 {
				what = "nothing"
				break
			}
			o.coll, o.versions = colls[r.IntN(len(colls))], 0
			what = fmt.Sprintf("%s also in %s", o.id(), o.coll)
			// TLP:AMBER and RED may not go beyond where they were
			// published: the store refuses, and nothing changes.
			if err := w.tryPublish(&o, ips[r.IntN(len(ips))], w.red[o.coll] && r.IntN(3) == 0); err != nil {
				if dragnet.ErrorCode(err) != dragnet.EFORBIDDEN {
					t.Fatal(err)
				}
				what += " refused"
				break
			}
			w.objs = append(w.objs, o)
			copies++
		case k < 8:
			o := &w.objs[alive[r.IntN(len(alive))]]
			what = fmt.Sprintf("new version of %s in %s", o.id(), o.coll)
			was := o.of
			if o.sighting {
				// The sighting now names another indicator, or the same.
				o.of = w.inds[r.IntN(len(w.inds))]
			}
			// Refused when the object is TLP:AMBER or RED in a narrower
			// collection too.
			if err := w.tryPublish(o, ips[r.IntN(len(ips))], w.red[o.coll] && r.IntN(3) == 0); err != nil {
				if dragnet.ErrorCode(err) != dragnet.EFORBIDDEN {
					t.Fatal(err)
				}
				o.of = was
				what += " refused"
			}
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
		w.checkSeen(live, keys, step, what)
		if r.IntN(8) == 0 {
			if err := live.Reload(sys); err != nil {
				t.Fatal(err)
			}
			check(step, what+", rebuilt")
		}
	}
	if deleted == 0 || sighted == 0 || copies == 0 {
		t.Fatalf("%d deletions tried, %d steps with sightings counted, %d objects kept in a second collection", deleted, sighted, copies)
	}
}
