package storetest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
)

// The reference model of the access rules, written apart from any store:
// plain maps and loops, recomputed from scratch on every question.

type modelSub struct {
	id        string
	version   int // hours after t0
	audience  string
	tlp       dragnet.TLP
	submitter string
}

type model struct {
	orgs    []string
	groups  map[string][]string // direct members: organisation or group names
	isGroup map[string]bool
	owner   map[string]string        // object id → authoring organisation
	objects map[string]*stix.Object  // "id@version" → the version's JSON
	marks   map[string]dragnet.TLP   // "id@version" → TLP named by its markings
	revoked map[string]bool          // "id@version" → the version revokes the object
	value   map[string]dragnet.Value // object id → the value it carries
	subs    []modelSub
}

// readers returns the organisations that can read an audience.
func (m *model) readers(aud string) map[string]bool {
	out := map[string]bool{}
	if aud == "community" {
		for _, o := range m.orgs {
			out[o] = true
		}
		return out
	}
	if !m.isGroup[aud] {
		out[aud] = true
		return out
	}
	seen := map[string]bool{}
	var walk func(g string)
	walk = func(g string) {
		if seen[g] {
			return
		}
		seen[g] = true
		for _, x := range m.groups[g] {
			if m.isGroup[x] {
				walk(x)
			} else {
				out[x] = true
			}
		}
	}
	walk(aud)
	return out
}

// audiences lists what org may read, sorted.
func (m *model) audiences(org string) []string {
	out := []string{"community", org}
	for g := range m.groups {
		if m.readers(g)[org] {
			out = append(out, g)
		}
	}
	sort.Strings(out)
	return out
}

func (m *model) defaultTLP(aud string) dragnet.TLP {
	if aud == "community" {
		return dragnet.TLPGreen
	}
	return dragnet.TLPAmber
}

// expect says whether org may submit version v of id into aud.
func (m *model) expect(org, id string, v int, aud string) bool {
	key := fmt.Sprintf("%s@%d", id, v)
	for _, s := range m.subs {
		if s.id == id && s.version == v && s.audience == aud {
			return true // already there: nothing to add
		}
	}
	tlp := m.marks[key]
	if tlp == dragnet.TLPNone {
		tlp = m.defaultTLP(aud)
	}
	if tlp == dragnet.TLPRed && aud == "community" {
		return false
	}
	if owner, ok := m.owner[id]; ok && owner != org {
		known := false
		for _, s := range m.subs {
			if s.id == id && s.version == v && m.readers(s.audience)[org] {
				known = true
			}
		}
		if !known {
			return false // a new version by someone else, or one out of sight
		}
	}
	inner := m.readers(aud)
	for _, s := range m.subs {
		if s.id != id || s.audience == aud || s.tlp < dragnet.TLPAmber || !m.readers(s.audience)[org] {
			continue
		}
		if s.audience == "community" {
			continue
		}
		if aud == "community" {
			return false
		}
		outer := m.readers(s.audience)
		for o := range inner {
			if !outer[o] {
				return false
			}
		}
	}
	return true
}

func (m *model) record(org, id string, v int, aud string) {
	for _, s := range m.subs {
		if s.id == id && s.version == v && s.audience == aud {
			return // idempotent
		}
	}
	tlp := m.marks[fmt.Sprintf("%s@%d", id, v)]
	if tlp == dragnet.TLPNone {
		tlp = m.defaultTLP(aud)
	}
	if _, ok := m.owner[id]; !ok {
		m.owner[id] = org
	}
	m.subs = append(m.subs, modelSub{id, v, aud, tlp, org})
}

// cycle reports whether adding member to group g would make a cycle.
func (m *model) cycle(g, member string) bool {
	if !m.isGroup[member] {
		return false
	}
	seen := map[string]bool{}
	var reaches func(x string) bool
	reaches = func(x string) bool {
		if x == g {
			return true
		}
		if seen[x] {
			return false
		}
		seen[x] = true
		for _, y := range m.groups[x] {
			if m.isGroup[y] && reaches(y) {
				return true
			}
		}
		return false
	}
	return reaches(member)
}

var markings = []string{"", dragnet.TLP2Clear, dragnet.TLP2Green, dragnet.TLP2Amber, dragnet.TLP2AmberStrict, dragnet.TLP2Red, dragnet.TLP1Green, dragnet.TLP1Red}

// testRandomWorlds builds random worlds (organisations, nested groups,
// objects at every TLP in every audience, new versions, revocations,
// re-submissions anywhere, membership changes) and checks Collections,
// Objects (all versions and last), writes to unseen collections and
// ValueRefs of every organisation against the model, with a fixed seed and
// a fresh one (logged, to replay a failure).
func testRandomWorlds(t *testing.T, e *env) {
	seeds := []uint64{1, uint64(time.Now().UnixNano())}
	if s := os.Getenv("DRAGNET_TEST_SEED"); s != "" {
		n, _ := strconv.ParseUint(s, 10, 64)
		seeds[1] = n
	}
	for i, seed := range seeds {
		t.Logf("random world seed %d", seed)
		w := e
		if i > 0 {
			s := e.open(t)
			defer s.Close()
			w = e.on(s)
		}
		randomWorld(t, w, seed, fmt.Sprintf("w%d", i))
	}
}

func randomWorld(t *testing.T, e *env, seed uint64, prefix string) {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	m := &model{groups: map[string][]string{}, isGroup: map[string]bool{}, owner: map[string]string{},
		objects: map[string]*stix.Object{}, marks: map[string]dragnet.TLP{}, value: map[string]dragnet.Value{}, revoked: map[string]bool{}}
	orgs := map[string]*dragnet.Org{}
	for i := 0; i < 3+r.IntN(3); i++ {
		name := fmt.Sprintf("%s-org%d", prefix, i)
		orgs[name] = e.org(name)
		m.orgs = append(m.orgs, name)
	}
	ownOrgs := slices.Sorted(func(yield func(string) bool) {
		for n := range orgs {
			if !yield(n) {
				return
			}
		}
	})
	var groups []string
	for i := 0; i < 2+r.IntN(3); i++ {
		name := fmt.Sprintf("%s-grp%d", prefix, i)
		var members []string
		for _, o := range ownOrgs {
			if r.IntN(3) == 0 {
				members = append(members, o)
			}
		}
		for _, g := range groups {
			if r.IntN(3) == 0 {
				members = append(members, g)
			}
		}
		e.group(name, members...)
		groups = append(groups, name)
		m.groups[name] = members
		m.isGroup[name] = true
	}
	values := []dragnet.Value{
		{Kind: dragnet.ValueIPv4, Value: "203.0.113.1"},
		{Kind: dragnet.ValueIPv4, Value: "203.0.113.2"},
		{Kind: dragnet.ValueDomain, Value: prefix + ".example"},
		{Kind: dragnet.ValueSHA256, Value: strings.Repeat("ab", 32)},
	}
	collections := map[string]string{"community": dragnet.CommunityCollectionID}
	collOf := func(org, aud string) string {
		if id, ok := collections[aud]; ok {
			return id
		}
		id := e.coll(orgs[org], aud)
		collections[aud] = id
		return id
	}
	var ids []string
	submit := func(org, id string, v int, aud string) {
		t.Helper()
		o := m.objects[fmt.Sprintf("%s@%d", id, v)]
		want := m.expect(org, id, v, aud)
		rs := e.add(orgs[org], collOf(org, aud), sub(o, m.value[id]))
		if got := rs[0].Err == nil; got != want {
			t.Fatalf("seed %d: %s submits %s@%d (%v) to %s: success %v (%v), model says %v", seed, org, id, v, m.marks[fmt.Sprintf("%s@%d", id, v)], aud, got, rs[0].Err, want)
		}
		if want {
			m.record(org, id, v, aud)
		}
	}
	newVersion := func(id string, v int) {
		key := fmt.Sprintf("%s@%d", id, v)
		mk := markings[r.IntN(len(markings))]
		var refs []string
		if mk != "" {
			refs = []string{mk}
		}
		var extra map[string]any
		if v > 0 && r.IntN(4) == 0 {
			extra = map[string]any{"revoked": true}
			m.revoked[key] = true
		}
		m.objects[key] = obj("indicator", id[len("indicator--"):], t0.Add(time.Duration(v)*time.Hour), refs, extra)
		m.marks[key] = dragnet.TLPOfMarking(mk)
	}
	for step := 0; step < 200; step++ {
		org := ownOrgs[r.IntN(len(ownOrgs))]
		auds := m.audiences(org)
		aud := auds[r.IntN(len(auds))]
		switch op := r.IntN(10); {
		case op < 4 || len(ids) == 0: // a new object
			id := "indicator--" + uuid(len(ids)+1+int(seed%1000)*1000)
			id = id[:len("indicator--")] + prefix[:2] + id[len("indicator--")+2:]
			ids = append(ids, id)
			m.value[id] = values[r.IntN(len(values))]
			newVersion(id, 0)
			submit(org, id, 0, aud)
		case op < 6: // a new version, by the author or someone else
			id := ids[r.IntN(len(ids))]
			v := 1 + step
			newVersion(id, v)
			submit(org, id, v, aud)
		case op < 8: // an existing version again, anywhere
			if len(m.subs) == 0 {
				continue // every submission so far was refused
			}
			s := m.subs[r.IntN(len(m.subs))]
			submit(org, s.id, s.version, aud)
		default: // a membership change
			g := groups[r.IntN(len(groups))]
			var member string
			if r.IntN(2) == 0 {
				member = ownOrgs[r.IntN(len(ownOrgs))]
			} else {
				member = groups[r.IntN(len(groups))]
			}
			if slices.Contains(m.groups[g], member) {
				if err := e.s.RemoveGroupMembers(e.sys, g, []string{member}); err != nil {
					t.Fatalf("seed %d: remove %s from %s: %v", seed, member, g, err)
				}
				m.groups[g] = slices.DeleteFunc(m.groups[g], func(x string) bool { return x == member })
				continue
			}
			err := e.s.AddGroupMembers(e.sys, g, []string{member})
			if wantCycle := m.cycle(g, member); (code(err) == dragnet.EINVALID) != wantCycle || (err != nil && !wantCycle) {
				t.Fatalf("seed %d: add %s to %s: %v, model says cycle=%v", seed, member, g, err, wantCycle)
			}
			if err == nil {
				m.groups[g] = append(m.groups[g], member)
			}
		}
		if step%50 == 49 {
			checkWorld(t, e, m, seed, ownOrgs, orgs, groups, collections, values)
		}
	}
}

// checkWorld compares what each organisation sees with the model.
func checkWorld(t *testing.T, e *env, m *model, seed uint64, ownOrgs []string, orgs map[string]*dragnet.Org, groups []string, collections map[string]string, values []dragnet.Value) {
	t.Helper()
	for _, name := range ownOrgs {
		o := orgs[name]
		want := m.audiences(name)
		cs, err := e.s.Collections(as(o))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range cs {
			got = append(got, c.Title)
			collections[c.Title] = c.CollectionID
		}
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Fatalf("seed %d: %s sees collections %v, model %v", seed, name, got, want)
		}
		// Every other collection (groups it is not in, other members'
		// own) is not found, for reading and for writing.
		for title, id := range collections {
			if slices.Contains(want, title) {
				continue
			}
			if _, err := e.s.Objects(as(o), id, dragnet.Filter{}, false); code(err) != dragnet.ENOTFOUND {
				t.Fatalf("seed %d: %s reads %s, which it may not: %v", seed, name, title, err)
			}
			if _, err := e.s.AddObjects(as(o), id, "", []*dragnet.Submission{sub(obj("indicator", uuid(999999), t0, nil, nil))}); code(err) != dragnet.ENOTFOUND {
				t.Fatalf("seed %d: %s writes to %s, which it may not: %v", seed, name, title, err)
			}
		}
		for _, aud := range want {
			all := map[string]bool{}
			latest := map[string]int{}
			for _, s := range m.subs {
				if s.audience != aud {
					continue
				}
				all[fmt.Sprintf("%s@%d/%v/%s/%v", s.id, s.version, s.tlp, s.submitter, m.revoked[fmt.Sprintf("%s@%d", s.id, s.version)])] = true
				if v, ok := latest[s.id]; !ok || s.version > v {
					latest[s.id] = s.version
				}
			}
			gotAll := map[string]bool{}
			for _, x := range e.list(o, collections[aud], dragnet.Filter{Versions: []string{"all"}, Types: []string{"indicator"}}) {
				v := int(x.Version.Sub(t0) / time.Hour)
				gotAll[fmt.Sprintf("%s@%d/%v/%s/%v", x.ID, v, x.TLP, submitterName(e, x.Submitter, orgs), x.Revoked)] = true
			}
			if !mapsEqual(gotAll, all) {
				t.Fatalf("seed %d: %s in %s sees\n%v\nmodel\n%v", seed, name, aud, keys(gotAll), keys(all))
			}
			gotLatest := map[string]int{}
			for _, x := range e.list(o, collections[aud], dragnet.Filter{Types: []string{"indicator"}}) {
				if _, dup := gotLatest[x.ID]; dup {
					t.Fatalf("seed %d: %s listed twice under last", seed, x.ID)
				}
				gotLatest[x.ID] = int(x.Version.Sub(t0) / time.Hour)
			}
			if fmt.Sprint(gotLatest) != fmt.Sprint(latest) {
				t.Fatalf("seed %d: %s in %s, last versions %v, model %v", seed, name, aud, gotLatest, latest)
			}
		}
		for _, v := range values {
			want := map[string]bool{}
			for _, s := range m.subs {
				if m.value[s.id] == v && slices.Contains(m.audiences(name), s.audience) {
					want[fmt.Sprintf("%s@%d/%s", s.id, s.version, s.audience)] = true
				}
			}
			refs, err := e.s.ValueRefs(as(o), v)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, r := range refs {
				aud := ""
				for title, id := range collections {
					if c, err := e.s.Collection(as(o), id); err == nil && c.ID == r.AudienceID {
						aud = title
					}
				}
				got[fmt.Sprintf("%s@%d/%s", r.ObjectID, int(r.Version.Sub(t0)/time.Hour), aud)] = true
			}
			if !mapsEqual(got, want) {
				t.Fatalf("seed %d: %s ValueRefs(%v) = %v, model %v", seed, name, v, keys(got), keys(want))
			}
		}
	}
}

func submitterName(e *env, id int64, orgs map[string]*dragnet.Org) string {
	for n, o := range orgs {
		if o.ID == id {
			return n
		}
	}
	return fmt.Sprint(id)
}

func mapsEqual(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
