package graph

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/scenario"
)

// TestPolicyProperty proves over random worlds that no query reveals
// anything the caller may not see: for random publications of a
// scenario's objects into six audiences and random callers, every query on
// the whole graph answers exactly what the same query answers on a graph
// built only from the submissions the caller can see. Counts, scores,
// countries, times and popularity included: nothing derived from an
// invisible submission can change an answer.
func TestPolicyProperty(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { policyWorld(t, seed) })
	}
}

func policyWorld(t *testing.T, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 99))
	s, err := scenario.New(scenario.Config{Seed: seed, Countries: 6, Botnets: 3, Bots: 25, Incidents: 2})
	if err != nil {
		t.Fatal(err)
	}
	var recs []Record
	var incidents []string
	added := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	_, err = s.Generate(func(org int, raw []byte) error {
		var h struct{ ID, Type string }
		if err := json.Unmarshal(raw, &h); err != nil {
			return err
		}
		if h.Type == "incident" {
			incidents = append(incidents, h.ID)
		}
		// Published to one audience, sometimes to a second as well.
		n := 1
		if r.IntN(5) == 0 {
			n = 2
		}
		for k := 0; k < n; k++ {
			added = added.Add(time.Second)
			recs = append(recs, Record{ID: h.ID, Type: h.Type, AudienceID: 1 + int64(r.IntN(6)), OrgID: int64(org + 1),
				Country: s.Orgs[org].Country, DateAdded: added, Raw: raw})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{SharedHosting: 5}
	full := buildRecords(t, opts, recs, nil)
	for trial := 0; trial < 4; trial++ {
		a := &dragnet.Access{OrgID: 1}
		for aud := int64(1); aud <= 6; aud++ {
			if r.IntN(2) == 0 {
				a.Audiences = append(a.Audiences, aud)
			}
		}
		seen := buildRecords(t, opts, recs, a)
		compareViews(t, full, seen, a, incidents, r)
	}
}

func buildRecords(t *testing.T, opts Options, recs []Record, only *dragnet.Access) *Graph {
	b := NewBuilder(opts)
	for i := range recs {
		if only != nil && !only.CanSee(recs[i].AudienceID) {
			continue
		}
		if err := b.Add(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return b.Build()
}

// compareViews checks that full, seen through a, answers as seen does.
func compareViews(t *testing.T, full, seen *Graph, a *dragnet.Access, incidents []string, r *rand.Rand) {
	t.Helper()
	visible := func(id string) bool {
		n := seen.Lookup(id)
		return n != None && seen.view(a).visible(n)
	}
	cf, cs := full.Clusters(a, ClusterOptions{}), seen.Clusters(a, ClusterOptions{})
	if got, want := clusterKey(cf), clusterKey(cs); got != want {
		t.Fatalf("access %v: clusters differ:\n full: %.600s\n seen: %.600s", a.Audiences, got, want)
	}
	for _, c := range cf {
		for _, m := range c.Members {
			if !visible(m.ID) || (m.Evidence != "" && !visible(m.Evidence)) {
				t.Fatalf("cluster member %s with evidence %s is not visible", m.ID, m.Evidence)
			}
		}
	}
	for _, inc := range incidents {
		tf, errF := full.Trace(a, []string{inc}, TraceOptions{})
		ts, errS := seen.Trace(a, []string{inc}, TraceOptions{})
		if !visible(inc) {
			if dragnet.ErrorCode(errF) != dragnet.ENOTFOUND {
				t.Fatalf("trace from invisible %s: %v", inc, errF)
			}
			continue
		}
		if errF != nil || errS != nil {
			t.Fatalf("trace %s: %v / %v", inc, errF, errS)
		}
		compareCandidates(t, inc, tf, ts, visible)
	}
	ef, es := full.CrossBorder(a, time.Time{}), seen.CrossBorder(a, time.Time{})
	if fmt.Sprint(ef) != fmt.Sprint(es) {
		t.Fatalf("cross-border events differ:\n full: %.500v\n seen: %.500v", ef, es)
	}
	for k := 0; k < 30; k++ {
		from := full.ID(NodeID(r.IntN(full.Len())))
		cf, errF := full.Correlate(a, from)
		cs, errS := seen.Correlate(a, from)
		if dragnet.ErrorCode(errF) != dragnet.ErrorCode(errS) || fmt.Sprintf("%+v", cf) != fmt.Sprintf("%+v", cs) {
			t.Fatalf("correlation of %s differs:\n full: %+v %v\n seen: %+v %v", from, cf, errF, cs, errS)
		}
		if !visible(from) && dragnet.ErrorCode(errF) != dragnet.ENOTFOUND {
			t.Fatalf("correlation of invisible %s: %v", from, errF)
		}
		to := full.ID(NodeID(r.IntN(full.Len())))
		nf, errF := full.Neighbourhood(a, from, NeighbourhoodQuery{Depth: 2, Limit: 1 << 20})
		ns, errS := seen.Neighbourhood(a, from, NeighbourhoodQuery{Depth: 2, Limit: 1 << 20})
		if !visible(from) {
			if dragnet.ErrorCode(errF) != dragnet.ENOTFOUND {
				t.Fatalf("neighbourhood of invisible %s: %v", from, errF)
			}
			continue
		}
		if errF != nil || errS != nil {
			t.Fatalf("neighbourhood of %s: %v / %v", from, errF, errS)
		}
		if got, want := subgraphKey(nf), subgraphKey(ns); got != want {
			t.Fatalf("neighbourhood of %s differs:\n full: %.800s\n seen: %.800s", from, got, want)
		}
		pf, errF := full.Path(a, from, to, 6)
		ps, errS := seen.Path(a, from, to, 6)
		if dragnet.ErrorCode(errF) != dragnet.ErrorCode(errS) || len(pf) != len(ps) {
			t.Fatalf("path %s -> %s: %d edges (%v), visible-only %d (%v)", from, to, len(pf), errF, len(ps), errS)
		}
	}
}

// compareCandidates checks two rankings agree: the same scores, and the
// same candidates wherever scores are not tied.
func compareCandidates(t *testing.T, inc string, tf, ts []Candidate, visible func(string) bool) {
	t.Helper()
	if len(tf) != len(ts) {
		t.Fatalf("trace %s: %d candidates on the whole graph, %d on what is visible", inc, len(tf), len(ts))
	}
	tied := func(i int) bool {
		return (i > 0 && math.Abs(tf[i].Score-tf[i-1].Score) < 1e-9) || (i+1 < len(tf) && math.Abs(tf[i].Score-tf[i+1].Score) < 1e-9)
	}
	for i := range tf {
		f, s := tf[i], ts[i]
		if math.Abs(f.Score-s.Score) > 1e-9*math.Max(1, s.Score) {
			t.Fatalf("trace %s candidate %d: score %g, visible-only %g", inc, i, f.Score, s.Score)
		}
		if tied(i) {
			continue
		}
		if f.ID != s.ID || !slices.Equal(f.Objects, s.Objects) || !slices.Equal(f.Countries, s.Countries) || f.Name != s.Name || len(f.Evidence) != len(s.Evidence) {
			t.Fatalf("trace %s candidate %d differs:\n%+v\n%+v", inc, i, f, s)
		}
		for _, id := range f.Objects {
			if !visible(id) {
				t.Fatalf("trace %s names invisible %s", inc, id)
			}
		}
		for _, e := range f.Evidence {
			for _, id := range []string{e.From, e.To, e.Via} {
				if !visible(id) {
					t.Fatalf("trace %s evidence names invisible %s", inc, id)
				}
			}
		}
	}
}

func clusterKey(cs []*Cluster) string {
	var parts []string
	for _, c := range cs {
		var ms []string
		for _, m := range c.Members {
			ms = append(ms, fmt.Sprintf("%s/%s/%v", m.ID, m.Name, m.Weak))
		}
		slices.Sort(ms)
		parts = append(parts, fmt.Sprintf("%s %d %v %v %v %v", c.ID, c.Size, c.Countries, c.First.Unix(), c.Last.Unix(), ms))
	}
	slices.Sort(parts)
	return strings.Join(parts, "\n")
}

func subgraphKey(sg *Subgraph) string {
	var ns, es []string
	for _, n := range sg.Nodes {
		ns = append(ns, fmt.Sprintf("%+v", n))
	}
	for _, e := range sg.Edges {
		es = append(es, fmt.Sprintf("%+v", e))
	}
	slices.Sort(ns)
	slices.Sort(es)
	return strings.Join(ns, "\n") + "\n" + strings.Join(es, "\n")
}
