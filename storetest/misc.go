package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
)

func testStatus(t *testing.T, e *env) {
	a, b := e.org("A"), e.org("B")
	own := e.coll(a, "A")
	good := obj("indicator", uuid(1), t0, nil, nil)
	red := obj("indicator", uuid(2), t0, []string{dragnet.TLP2Red}, nil)
	s := &dragnet.Status{CollectionID: dragnet.CommunityCollectionID, Pendings: []dragnet.StatusDetail{{ID: good.ID}, {ID: red.ID}, {ID: "indicator--" + uuid(3)}}}
	if err := e.s.CreateStatus(as(a), s); err != nil {
		t.Fatal(err)
	}
	if s.ID == "" || s.OrgID != a.ID || s.Status != "pending" || s.RequestTimestamp.IsZero() {
		t.Errorf("created status %+v", s)
	}
	got, err := e.s.Status(as(a), s.ID)
	if err != nil || got.Status != "pending" || len(got.Pendings) != 3 || len(got.Successes) != 0 {
		t.Fatalf("Status = %+v, %v", got, err)
	}
	_, err = e.s.Status(as(b), s.ID)
	wantCode(t, "other org's status", err, dragnet.ENOTFOUND)
	_, err = e.s.Status(as(a), "no-such-status")
	wantCode(t, "unknown status", err, dragnet.ENOTFOUND)
	// Another organisation cannot record into it.
	_, err = e.s.AddObjects(as(b), dragnet.CommunityCollectionID, s.ID, []*dragnet.Submission{sub(good)})
	wantCode(t, "AddObjects into other's status", err, dragnet.ENOTFOUND)

	rs, err := e.s.AddObjects(as(a), dragnet.CommunityCollectionID, s.ID, []*dragnet.Submission{sub(good), sub(red)})
	if err != nil || rs[0].Err != nil || rs[1].Err == nil {
		t.Fatalf("AddObjects = %+v, %v", rs, err)
	}
	got, _ = e.s.Status(as(a), s.ID)
	if got.Status != "pending" || len(got.Successes) != 1 || len(got.Failures) != 1 || len(got.Pendings) != 1 {
		t.Fatalf("after first part: %+v", got)
	}
	if got.Successes[0].ID != good.ID || !got.Successes[0].Version.Equal(t0) {
		t.Errorf("success %+v", got.Successes[0])
	}
	if got.Failures[0].ID != red.ID || !strings.Contains(got.Failures[0].Message, "TLP:RED") {
		t.Errorf("failure %+v", got.Failures[0])
	}
	if _, err := e.s.AddObjects(as(a), dragnet.CommunityCollectionID, s.ID, []*dragnet.Submission{sub(obj("indicator", uuid(3), t0, nil, nil))}); err != nil {
		t.Fatal(err)
	}
	got, _ = e.s.Status(as(a), s.ID)
	if got.Status != "complete" || len(got.Successes) != 2 || len(got.Pendings) != 0 {
		t.Errorf("complete status: %+v", got)
	}
	// A status with no pendings is complete at once.
	s2 := &dragnet.Status{CollectionID: own}
	if err := e.s.CreateStatus(as(a), s2); err != nil || s2.Status != "complete" {
		t.Errorf("empty status: %+v, %v", s2, err)
	}
	wantCode(t, "duplicate status id", e.s.CreateStatus(as(a), &dragnet.Status{ID: s.ID}), dragnet.ECONFLICT)
}

func testValueRefs(t *testing.T, e *env) {
	a, b, c := e.org("A"), e.org("B"), e.org("C")
	e.group("ab", "A", "B")
	ip := dragnet.Value{Kind: dragnet.ValueIPv4, Value: "198.51.100.1"}
	dom := dragnet.Value{Kind: dragnet.ValueDomain, Value: "evil.example"}
	e.mustAdd(a, e.coll(a, "ab"), sub(obj("indicator", uuid(1), t0, nil, nil), ip, dom))
	e.mustAdd(a, e.coll(a, "A"), sub(obj("indicator", uuid(2), t0, nil, nil), ip))
	e.mustAdd(c, dragnet.CommunityCollectionID, sub(obj("indicator", uuid(3), t0, nil, nil), ip))
	e.mustAdd(c, e.coll(c, "C"), sub(obj("indicator", uuid(4), t0, nil, nil), ip))
	refs := func(o *dragnet.Org, v dragnet.Value) []string {
		rs, err := e.s.ValueRefs(as(o), v)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rs {
			if r.Value != v || r.Type != "indicator" || r.DateAdded.IsZero() || r.Version.IsZero() {
				t.Errorf("ref %+v", r)
			}
			out = append(out, r.ObjectID[len(r.ObjectID)-1:])
		}
		slices.Sort(out)
		return out
	}
	if got := refs(a, ip); !slices.Equal(got, []string{"1", "2", "3"}) {
		t.Errorf("A sees ip in %v", got)
	}
	if got := refs(b, ip); !slices.Equal(got, []string{"1", "3"}) {
		t.Errorf("B sees ip in %v", got)
	}
	if got := refs(c, ip); !slices.Equal(got, []string{"3", "4"}) {
		t.Errorf("C sees ip in %v", got)
	}
	if got := refs(c, dom); len(got) != 0 {
		t.Errorf("C sees domain in %v", got)
	}
	if rs, err := e.s.ValueRefs(e.sys, ip); err != nil || len(rs) != 0 {
		t.Errorf("system sees %d refs, %v", len(rs), err)
	}
	// One version in two audiences: two refs, each with its audience and TLP.
	o5 := obj("indicator", uuid(5), t0, nil, nil)
	url := dragnet.Value{Kind: dragnet.ValueURL, Value: "http://evil.example/x"}
	e.mustAdd(a, dragnet.CommunityCollectionID, sub(o5, url))
	e.mustAdd(b, e.coll(b, "B"), sub(o5, url))
	rs, _ := e.s.ValueRefs(as(b), url)
	if len(rs) != 2 || rs[0].OrgID != a.ID || rs[0].TLP != dragnet.TLPGreen || rs[1].OrgID != b.ID || rs[1].TLP != dragnet.TLPAmber {
		t.Errorf("refs of a shared version: %+v", rs)
	}
	// Membership changes apply to the value index too.
	if err := e.s.RemoveGroupMembers(e.sys, "ab", []string{"B"}); err != nil {
		t.Fatal(err)
	}
	if got := refs(b, ip); !slices.Equal(got, []string{"3"}) {
		t.Errorf("B after leaving ab sees ip in %v", got)
	}
}

// testValueScanner runs when the store implements dragnet.ValueScanner.
func testValueScanner(t *testing.T, e *env) {
	vs, ok := e.s.(dragnet.ValueScanner)
	if !ok {
		t.Skip("store does not implement dragnet.ValueScanner")
	}
	a := e.org("A")
	own := e.coll(a, "A")
	ip := dragnet.Value{Kind: dragnet.ValueIPv4, Value: "198.51.100.1"}
	ip2 := dragnet.Value{Kind: dragnet.ValueIPv4, Value: "198.51.100.2"}
	until := "2030-01-01T00:00:00Z"
	from := "2026-01-02T03:04:05.5Z"
	e.mustAdd(a, own, sub(obj("indicator", uuid(1), t0, nil, map[string]any{"valid_until": until, "valid_from": from, "confidence": 85}), ip))
	e.mustAdd(a, dragnet.CommunityCollectionID, sub(obj("indicator", uuid(2), t0, nil, nil), ip2))
	// "Never expires" as feeds write it, beyond what nanoseconds since the
	// epoch hold, and terms that are not the indicator's own (nested in an
	// extension): no expiry, no confidence.
	ip3 := dragnet.Value{Kind: dragnet.ValueIPv4, Value: "198.51.100.3"}
	e.mustAdd(a, own, sub(obj("indicator", uuid(3), t0, nil, map[string]any{"valid_until": "9999-12-31T23:59:59Z",
		"x_vendor_ext": map[string]any{"confidence": 90, "valid_until": "2020-01-01T00:00:00Z"}}), ip3))
	_, err := vs.ScanValues(as(a), func(*dragnet.ValueEntry) error { return nil })
	wantCode(t, "member scans", err, dragnet.EFORBIDDEN)
	var got []*dragnet.ValueEntry
	cursor, err := vs.ScanValues(e.sys, func(v *dragnet.ValueEntry) error { got = append(got, v); return nil })
	if err != nil || len(got) != 3 {
		t.Fatalf("scan: %d entries, %v", len(got), err)
	}
	for _, v := range got {
		switch v.ObjectID {
		case "indicator--" + uuid(1):
			if v.Value != ip || v.TLP != dragnet.TLPAmber || v.OrgID != a.ID || v.Revoked || v.ValidUntil.Format(time.RFC3339) != until ||
				v.Confidence != 85 || v.ValidFrom.Format(time.RFC3339Nano) != from {
				t.Errorf("entry %+v", v)
			}
		case "indicator--" + uuid(2):
			if v.Value != ip2 || v.AudienceID != 1 || v.TLP != dragnet.TLPGreen || !v.ValidUntil.IsZero() || v.Confidence != 0 {
				t.Errorf("entry %+v", v)
			}
		case "indicator--" + uuid(3):
			if v.Value != ip3 || !v.ValidUntil.IsZero() || v.Confidence != 0 {
				t.Errorf("entry %+v", v)
			}
		default:
			t.Errorf("entry %+v", v)
		}
	}
	cs, next, err := vs.ValueChanges(e.sys, cursor, 0)
	if err != nil || len(cs) != 0 || next != cursor {
		t.Errorf("no changes: %v, %d, %v", cs, next, err)
	}
	// A new version (revoked, new value) replaces the old entries.
	e.mustAdd(a, own, sub(obj("indicator", uuid(1), t0.Add(time.Hour), nil, map[string]any{"revoked": true}), ip2))
	cs, next, err = vs.ValueChanges(e.sys, cursor, 0)
	if err != nil || len(cs) != 1 || next <= cursor {
		t.Fatalf("changes after new version: %v, %d, %v", cs, next, err)
	}
	if c := cs[0]; c.ObjectID != "indicator--"+uuid(1) || len(c.Entries) != 1 || c.Entries[0].Value != ip2 || !c.Entries[0].Revoked {
		t.Errorf("change %+v", c)
	}
	// Deleting the newest version brings back the older one.
	if err := e.s.DeleteObject(as(a), own, "indicator--"+uuid(1), dragnet.Filter{Versions: []string{"last"}}); err != nil {
		t.Fatal(err)
	}
	cs, next2, err := vs.ValueChanges(e.sys, next, 10)
	if err != nil || len(cs) != 1 || next2 <= next {
		t.Fatalf("changes after delete: %v, %v", cs, err)
	}
	if c := cs[0]; len(c.Entries) != 1 || c.Entries[0].Value != ip || c.Entries[0].Revoked {
		t.Errorf("change after delete %+v", c.Entries)
	}
	// Deleting everything leaves an empty change.
	if err := e.s.DeleteObject(as(a), own, "indicator--"+uuid(1), dragnet.Filter{}); err != nil {
		t.Fatal(err)
	}
	cs, _, _ = vs.ValueChanges(e.sys, next2, 10)
	if len(cs) != 1 || len(cs[0].Entries) != 0 {
		t.Errorf("change after deleting all: %+v", cs)
	}
	// limit is honoured, in order.
	all, _, _ := vs.ValueChanges(e.sys, 0, 0)
	few, _, _ := vs.ValueChanges(e.sys, 0, 2)
	if len(few) != 2 || len(all) < 3 || few[1].Seq != all[1].Seq || !slices.IsSortedFunc(all, func(x, y *dragnet.ValueChange) int { return int(x.Seq - y.Seq) }) {
		t.Errorf("limited changes %v of %v", few, all)
	}
	// One SCO id held by two organisations, each out of the other's
	// sight, is two objects: in one page of changes each carries only
	// its own audience's entries.
	b := e.org("B")
	_, mark, _ := vs.ValueChanges(e.sys, 0, 0)
	mark = max(mark, next2)
	scoRaw := `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--` + uuid(9) + `","value":"198.51.100.9"}`
	va := dragnet.Value{Kind: dragnet.ValueIPv4, Value: "198.51.100.9"}
	vb := dragnet.Value{Kind: dragnet.ValueIPv4, Value: "198.51.100.10"}
	e.mustAdd(a, own, &dragnet.Submission{Object: mustDecode(t, scoRaw), Values: []dragnet.Value{va}})
	e.mustAdd(b, e.coll(b, "B"), &dragnet.Submission{Object: mustDecode(t, scoRaw), Values: []dragnet.Value{vb}})
	cs, _, err = vs.ValueChanges(e.sys, mark, 0)
	if err != nil || len(cs) != 2 {
		t.Fatalf("changes for one SCO id held twice: %+v, %v", cs, err)
	}
	for _, c := range cs {
		want := map[int64]dragnet.Value{e.audOf(a, "A"): va, e.audOf(b, "B"): vb}[c.AudienceID]
		if c.ObjectID != "ipv4-addr--"+uuid(9) || len(c.Entries) != 1 || c.Entries[0].Value != want || c.Entries[0].AudienceID != c.AudienceID {
			t.Errorf("change of audience %d: %s %+v, want the one entry %v", c.AudienceID, c.ObjectID, c.Entries, want)
		}
	}
}

func testAudit(t *testing.T, e *env) {
	op, _, _, err := e.s.EnsureOperator(e.sys, "operator", "NL")
	if err != nil {
		t.Fatal(err)
	}
	a, b := e.org("A"), e.org("B")
	ctx := context.Background()
	if err := e.s.Audit(ctx, &dragnet.AuditEvent{OrgID: b.ID, OrgName: "B", Action: "access.denied", Target: "x", Outcome: "denied", Remote: "192.0.2.1"}); err != nil {
		t.Fatalf("Audit without principal: %v", err)
	}
	e.mustAdd(a, e.coll(a, "A"), sub(obj("indicator", uuid(1), t0, nil, nil)), sub(obj("indicator", uuid(2), t0, nil, nil)))
	adminA := dragnet.OrgContext(ctx, a, dragnet.RoleAdmin)
	evs, err := e.s.AuditEvents(adminA, dragnet.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	adds := 0
	for _, ev := range evs {
		if ev.OrgID != a.ID {
			t.Errorf("A's admin sees %+v", ev)
		}
		if ev.Action == "objects.add" {
			adds++
		}
	}
	if adds != 1 {
		t.Errorf("%d objects.add events for one call, want 1", adds)
	}
	_, err = e.s.AuditEvents(adminA, dragnet.AuditFilter{OrgID: b.ID})
	wantCode(t, "org admin reads other's audit", err, dragnet.EFORBIDDEN)
	_, err = e.s.AuditEvents(as(a), dragnet.AuditFilter{})
	wantCode(t, "write token reads audit", err, dragnet.EFORBIDDEN)
	opCtx := dragnet.OrgContext(ctx, op, dragnet.RoleAdmin)
	all, err := e.s.AuditEvents(opCtx, dragnet.AuditFilter{})
	if err != nil || len(all) < 2 {
		t.Fatalf("operator audit: %d, %v", len(all), err)
	}
	onlyB, _ := e.s.AuditEvents(e.sys, dragnet.AuditFilter{OrgID: b.ID})
	if len(onlyB) != 1 || onlyB[0].Action != "access.denied" || onlyB[0].Remote != "192.0.2.1" || onlyB[0].Time.IsZero() {
		t.Errorf("B's events: %+v", onlyB)
	}
	lim, _ := e.s.AuditEvents(e.sys, dragnet.AuditFilter{Limit: 1})
	if len(lim) != 1 {
		t.Errorf("limit 1 gave %d", len(lim))
	}
	late, _ := e.s.AuditEvents(e.sys, dragnet.AuditFilter{Since: time.Now().Add(time.Hour)})
	if len(late) != 0 {
		t.Errorf("since the future gave %d", len(late))
	}
}
