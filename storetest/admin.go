package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// testPrincipal: every method refuses a context without a principal.
func testPrincipal(t *testing.T, e *env) {
	ctx := context.Background()
	_, err := e.s.ListOrgs(ctx)
	wantCode(t, "ListOrgs", err, dragnet.EUNAUTHORIZED)
	wantCode(t, "CreateOrg", e.s.CreateOrg(ctx, &dragnet.Org{Name: "x", Country: "NL"}), dragnet.EUNAUTHORIZED)
	_, err = e.s.Collections(ctx)
	wantCode(t, "Collections", err, dragnet.EUNAUTHORIZED)
	_, err = e.s.Objects(ctx, dragnet.CommunityCollectionID, dragnet.Filter{}, false)
	wantCode(t, "Objects", err, dragnet.EUNAUTHORIZED)
	_, err = e.s.AddObjects(ctx, dragnet.CommunityCollectionID, "", nil)
	wantCode(t, "AddObjects", err, dragnet.EUNAUTHORIZED)
	_, err = e.s.Access(ctx)
	wantCode(t, "Access", err, dragnet.EUNAUTHORIZED)
	_, err = e.s.ValueRefs(ctx, dragnet.Value{Kind: dragnet.ValueIPv4, Value: "192.0.2.1"})
	wantCode(t, "ValueRefs", err, dragnet.EUNAUTHORIZED)
	_, err = e.s.AuditEvents(ctx, dragnet.AuditFilter{})
	wantCode(t, "AuditEvents", err, dragnet.EUNAUTHORIZED)
	_, err = e.s.Status(ctx, "x")
	wantCode(t, "Status", err, dragnet.EUNAUTHORIZED)

	// The system administers but sees no intelligence.
	acc, err := e.s.Access(e.sys)
	if err != nil || len(acc.Audiences) != 0 {
		t.Errorf("system Access = %v, %v; want empty", acc, err)
	}
	cs, err := e.s.Collections(e.sys)
	if err != nil || len(cs) != 0 {
		t.Errorf("system Collections = %d, %v; want none", len(cs), err)
	}
	_, err = e.s.Objects(e.sys, dragnet.CommunityCollectionID, dragnet.Filter{}, false)
	wantCode(t, "system Objects", err, dragnet.ENOTFOUND)
}

func testOrgs(t *testing.T, e *env) {
	a := &dragnet.Org{Name: "Politie", Country: "nl", Kind: dragnet.KindLawEnforcement}
	if err := e.s.CreateOrg(e.sys, a); err != nil {
		t.Fatal(err)
	}
	if a.ID == 0 || !strings.HasPrefix(a.Identity, "identity--") || a.Created.IsZero() || a.Country != "NL" {
		t.Errorf("created org = %+v", a)
	}
	wantCode(t, "duplicate name", e.s.CreateOrg(e.sys, &dragnet.Org{Name: "Politie", Country: "DE"}), dragnet.ECONFLICT)
	wantCode(t, "bad country", e.s.CreateOrg(e.sys, &dragnet.Org{Name: "X", Country: "XX"}), dragnet.EINVALID)
	wantCode(t, "bad name", e.s.CreateOrg(e.sys, &dragnet.Org{Name: "a,b", Country: "DE"}), dragnet.EINVALID)
	wantCode(t, "bad kind", e.s.CreateOrg(e.sys, &dragnet.Org{Name: "Y", Country: "DE", Kind: "spy"}), dragnet.EINVALID)
	b := e.org("BSI")
	wantCode(t, "member creates org", e.s.CreateOrg(as(b), &dragnet.Org{Name: "Z", Country: "DE"}), dragnet.EFORBIDDEN)

	got, err := e.s.FindOrg(as(b), "Politie")
	if err != nil || got.ID != a.ID || got.Identity != a.Identity || got.Kind != dragnet.KindLawEnforcement || got.Country != "NL" {
		t.Errorf("FindOrg = %+v, %v", got, err)
	}
	// The secret that keys an organisation's deterministic ids: random,
	// one per organisation, known to the system and the organisation only.
	if len(a.IDKey) < 32 || a.IDKey == b.IDKey || got.IDKey != "" {
		t.Errorf("id keys: %q and %q; another member sees %q", a.IDKey, b.IDKey, got.IDKey)
	}
	if own, err := e.s.FindOrg(as(a), "Politie"); err != nil || own.IDKey != a.IDKey {
		t.Errorf("own id key: %+v, %v", own, err)
	}
	if sys, err := e.s.FindOrg(e.sys, "Politie"); err != nil || sys.IDKey != a.IDKey {
		t.Errorf("id key to the system: %+v, %v", sys, err)
	}
	_, err = e.s.FindOrg(as(b), "nobody")
	wantCode(t, "FindOrg unknown", err, dragnet.ENOTFOUND)
	list, err := e.s.ListOrgs(as(b))
	if err != nil || len(list) != 2 || list[0].Name != "BSI" || list[1].Name != "Politie" {
		t.Errorf("ListOrgs = %v, %v", list, err)
	} else if list[0].IDKey != b.IDKey || list[1].IDKey != "" {
		t.Errorf("ListOrgs to BSI shows id keys %q and %q", list[0].IDKey, list[1].IDKey)
	}

	// The identity is published to the community, owned by the org.
	objs := e.list(b, dragnet.CommunityCollectionID, dragnet.Filter{IDs: []string{a.Identity}})
	if len(objs) != 1 || objs[0].Type != "identity" || objs[0].Submitter != a.ID {
		t.Fatalf("identity in community = %v", objs)
	}
	if !strings.Contains(string(objs[0].Raw), `"identity_class":"organization"`) || !strings.Contains(string(objs[0].Raw), `"Politie"`) {
		t.Errorf("identity JSON = %s", objs[0].Raw)
	}
	// Groups and organisations share one namespace.
	_, err = e.s.CreateGroup(e.sys, "Politie", nil)
	wantCode(t, "group named like an org", err, dragnet.ECONFLICT)
}

func testEnsureOperator(t *testing.T, e *env) {
	o, secret, created, err := e.s.EnsureOperator(e.sys, "operator", "NL")
	if err != nil || !created || secret == "" || !o.Operator || o.Kind != dragnet.KindNode {
		t.Fatalf("first EnsureOperator = %+v, %q, %v, %v", o, secret, created, err)
	}
	p, err := e.s.Authenticate(context.Background(), "operator", secret)
	if err != nil || p.Role != dragnet.RoleAdmin || !p.IsOperator() {
		t.Fatalf("operator token: %+v, %v", p, err)
	}
	o2, secret2, created2, err := e.s.EnsureOperator(e.sys, "other", "DE")
	if err != nil || created2 || secret2 != "" || o2.ID != o.ID {
		t.Errorf("second EnsureOperator = %+v, %q, %v, %v", o2, secret2, created2, err)
	}
	// The operator's admin token administers the hub.
	ctx := dragnet.WithPrincipal(context.Background(), p)
	if err := e.s.CreateOrg(ctx, &dragnet.Org{Name: "CERT-EE", Country: "EE"}); err != nil {
		t.Errorf("operator admin CreateOrg: %v", err)
	}
	if _, err := e.s.CreateGroup(ctx, "baltic", []string{"CERT-EE"}); err != nil {
		t.Errorf("operator admin CreateGroup: %v", err)
	}
	// An operator write token does not.
	ctxw := dragnet.OrgContext(context.Background(), o, dragnet.RoleWrite)
	wantCode(t, "operator write token CreateOrg", e.s.CreateOrg(ctxw, &dragnet.Org{Name: "Q", Country: "EE"}), dragnet.EFORBIDDEN)
}

func testTokens(t *testing.T, e *env) {
	a, b := e.org("A"), e.org("B")
	secret, tok, err := e.s.CreateToken(e.sys, "A", dragnet.RoleWrite, "ci", time.Time{})
	if err != nil || !strings.HasPrefix(secret, dragnet.TokenPrefix) || tok.OrgID != a.ID || tok.Role != dragnet.RoleWrite {
		t.Fatalf("CreateToken = %q, %+v, %v", secret, tok, err)
	}
	ctx := context.Background()
	p, err := e.s.Authenticate(ctx, "", secret)
	if err != nil || p.Org == nil || p.Org.ID != a.ID || p.Role != dragnet.RoleWrite || p.TokenID != tok.ID {
		t.Fatalf("Authenticate = %+v, %v", p, err)
	}
	if p, err = e.s.Authenticate(ctx, "A", secret); err != nil || p.Org.Name != "A" {
		t.Errorf("Authenticate with org name: %+v, %v", p, err)
	}
	_, err = e.s.Authenticate(ctx, "B", secret)
	wantCode(t, "wrong org", err, dragnet.EUNAUTHORIZED)
	_, err = e.s.Authenticate(ctx, "", secret+"x")
	wantCode(t, "wrong secret", err, dragnet.EUNAUTHORIZED)
	_, err = e.s.Authenticate(ctx, "", "")
	wantCode(t, "empty secret", err, dragnet.EUNAUTHORIZED)

	// Use is recorded (perhaps a moment later).
	for i := 0; ; i++ {
		list, err := e.s.ListTokens(e.sys, "A")
		if err != nil {
			t.Fatal(err)
		}
		if !list[0].LastUsed.IsZero() {
			break
		}
		if i == 50 {
			t.Error("token use not recorded")
			break
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Roles: a member admin manages its own tokens only.
	adminA := dragnet.OrgContext(ctx, a, dragnet.RoleAdmin)
	if _, _, err := e.s.CreateToken(adminA, "A", dragnet.RoleRead, "", time.Time{}); err != nil {
		t.Errorf("org admin creates own token: %v", err)
	}
	_, _, err = e.s.CreateToken(adminA, "B", dragnet.RoleRead, "", time.Time{})
	wantCode(t, "org admin creates other's token", err, dragnet.EFORBIDDEN)
	_, _, err = e.s.CreateToken(as(a), "A", dragnet.RoleRead, "", time.Time{})
	wantCode(t, "write token creates token", err, dragnet.EFORBIDDEN)
	_, _, err = e.s.CreateToken(e.sys, "A", "root", "", time.Time{})
	wantCode(t, "bad role", err, dragnet.EINVALID)
	_, _, err = e.s.CreateToken(e.sys, "nobody", dragnet.RoleRead, "", time.Time{})
	wantCode(t, "unknown org", err, dragnet.ENOTFOUND)

	list, err := e.s.ListTokens(adminA, "A")
	if err != nil || len(list) != 2 {
		t.Fatalf("ListTokens = %v, %v", list, err)
	}
	_, err = e.s.ListTokens(adminA, "B")
	wantCode(t, "list other's tokens", err, dragnet.EFORBIDDEN)

	// Revocation.
	adminB := dragnet.OrgContext(ctx, b, dragnet.RoleAdmin)
	wantCode(t, "revoke other's token", e.s.RevokeToken(adminB, tok.ID), dragnet.ENOTFOUND)
	if err := e.s.RevokeToken(adminA, tok.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.Authenticate(ctx, "", secret)
	wantCode(t, "revoked", err, dragnet.EUNAUTHORIZED)
	list, _ = e.s.ListTokens(e.sys, "A")
	if list[0].Revoked.IsZero() {
		t.Error("revoked token lists as not revoked")
	}
	wantCode(t, "revoke unknown", e.s.RevokeToken(e.sys, 99999), dragnet.ENOTFOUND)

	// Expiry.
	old, _, err := e.s.CreateToken(e.sys, "B", dragnet.RoleRead, "old", time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.s.Authenticate(ctx, "", old)
	wantCode(t, "expired", err, dragnet.EUNAUTHORIZED)
	fresh, _, _ := e.s.CreateToken(e.sys, "B", dragnet.RoleRead, "fresh", time.Now().Add(time.Hour))
	if _, err := e.s.Authenticate(ctx, "", fresh); err != nil {
		t.Errorf("unexpired token: %v", err)
	}
	// Stored as a hash only.
	list, _ = e.s.ListTokens(e.sys, "B")
	for _, tk := range list {
		if string(tk.Hash) == old || string(tk.Hash) == fresh || len(tk.Hash) != 32 {
			t.Errorf("token %d hash %x is not a SHA-256", tk.ID, tk.Hash)
		}
	}
}

func testGroups(t *testing.T, e *env) {
	e.org("A")
	e.org("B")
	e.org("C")
	g1 := e.group("g1", "A")
	if g1.ID == 0 || !slices.Equal(g1.Orgs, []string{"A"}) || len(g1.Groups) != 0 {
		t.Errorf("g1 = %+v", g1)
	}
	e.group("g2", "B", "g1")
	e.group("g3", "g2")
	_, err := e.s.CreateGroup(e.sys, "g1", nil)
	wantCode(t, "duplicate group", err, dragnet.ECONFLICT)
	_, err = e.s.CreateGroup(e.sys, "A", nil)
	wantCode(t, "group named like org", err, dragnet.ECONFLICT)
	wantCode(t, "org named like group", e.s.CreateOrg(e.sys, &dragnet.Org{Name: "g1", Country: "NL"}), dragnet.ECONFLICT)
	_, err = e.s.CreateGroup(e.sys, "g4", []string{"nobody"})
	wantCode(t, "unknown member", err, dragnet.EINVALID)
	_, err = e.s.CreateGroup(as(e.org("D")), "g5", nil)
	wantCode(t, "member creates group", err, dragnet.EFORBIDDEN)

	// Cycles are refused and named.
	err = e.s.AddGroupMembers(e.sys, "g1", []string{"g3"})
	wantCode(t, "cycle", err, dragnet.EINVALID)
	if msg := dragnet.ErrorMessage(err); !strings.Contains(msg, "cycle") || !strings.Contains(msg, "g3") || !strings.Contains(msg, "g1") {
		t.Errorf("cycle message %q does not name the cycle", msg)
	}
	wantCode(t, "self member", e.s.AddGroupMembers(e.sys, "g1", []string{"g1"}), dragnet.EINVALID)
	wantCode(t, "add to unknown group", e.s.AddGroupMembers(e.sys, "nope", []string{"A"}), dragnet.ENOTFOUND)

	if err := e.s.AddGroupMembers(e.sys, "g1", []string{"C"}); err != nil {
		t.Fatal(err)
	}
	g, err := e.s.FindGroup(e.sys, "g1")
	if err != nil || !slices.Equal(g.Orgs, []string{"A", "C"}) {
		t.Errorf("g1 after add = %+v, %v", g, err)
	}
	if err := e.s.RemoveGroupMembers(e.sys, "g1", []string{"A"}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "remove non-member", e.s.RemoveGroupMembers(e.sys, "g1", []string{"B"}), dragnet.EINVALID)
	g, _ = e.s.FindGroup(e.sys, "g2")
	if !slices.Equal(g.Orgs, []string{"B"}) || !slices.Equal(g.Groups, []string{"g1"}) {
		t.Errorf("g2 = %+v", g)
	}
	gs, err := e.s.ListGroups(e.sys)
	if err != nil || len(gs) != 3 || gs[0].Name != "g1" || gs[2].Name != "g3" {
		t.Errorf("ListGroups = %v, %v", gs, err)
	}
	_, err = e.s.FindGroup(e.sys, "nope")
	wantCode(t, "FindGroup unknown", err, dragnet.ENOTFOUND)
}

func testCollections(t *testing.T, e *env) {
	a, b, c := e.org("A"), e.org("B"), e.org("C")
	e.group("inner", "A")
	e.group("outer", "inner", "B")
	titles := func(o *dragnet.Org) []string {
		cs, err := e.s.Collections(as(o))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			if !c.CanRead || !c.CanWrite {
				t.Errorf("%s: collection %s CanRead=%v CanWrite=%v", o.Name, c.Title, c.CanRead, c.CanWrite)
			}
			out = append(out, c.Title)
		}
		slices.Sort(out)
		return out
	}
	if got := titles(a); !slices.Equal(got, []string{"A", "community", "inner", "outer"}) {
		t.Errorf("A sees %v", got)
	}
	if got := titles(b); !slices.Equal(got, []string{"B", "community", "outer"}) {
		t.Errorf("B sees %v", got)
	}
	if got := titles(c); !slices.Equal(got, []string{"C", "community"}) {
		t.Errorf("C sees %v", got)
	}
	cs, _ := e.s.Collections(dragnet.OrgContext(context.Background(), c, dragnet.RoleRead))
	for _, x := range cs {
		if x.CanWrite {
			t.Errorf("read token: %s CanWrite", x.Title)
		}
	}
	// Community: fixed id and defaults; others AMBER.
	com, err := e.s.Collection(as(c), dragnet.CommunityCollectionID)
	if err != nil || com.ID != 1 || com.Title != "community" || com.DefaultTLP != dragnet.TLPGreen || com.Kind != dragnet.AudienceCommunity {
		t.Errorf("community = %+v, %v", com, err)
	}
	inner, err := e.s.Collection(as(a), e.coll(a, "inner"))
	if err != nil || inner.DefaultTLP != dragnet.TLPAmber || inner.Kind != dragnet.AudienceGroup {
		t.Errorf("inner = %+v, %v", inner, err)
	}
	own, err := e.s.Collection(as(a), e.coll(a, "A"))
	if err != nil || own.DefaultTLP != dragnet.TLPAmber || own.Kind != dragnet.AudienceOrg || own.RefID != a.ID {
		t.Errorf("own = %+v, %v", own, err)
	}
	// Invisible and nonexistent collections give the same error.
	_, err1 := e.s.Collection(as(c), e.coll(a, "inner"))
	_, err2 := e.s.Collection(as(c), "00000000-0000-4000-8000-000000000000")
	wantCode(t, "invisible collection", err1, dragnet.ENOTFOUND)
	wantCode(t, "nonexistent collection", err2, dragnet.ENOTFOUND)
	_, err = e.s.Objects(as(c), e.coll(a, "A"), dragnet.Filter{}, false)
	wantCode(t, "Objects in another org's collection", err, dragnet.ENOTFOUND)
	_, err = e.s.AddObjects(as(c), e.coll(a, "A"), "", []*dragnet.Submission{sub(obj("indicator", uuid(1), t0, nil, nil))})
	wantCode(t, "AddObjects to another org's collection", err, dragnet.ENOTFOUND)

	acc, err := e.s.Access(as(a))
	if err != nil || len(acc.Audiences) != 4 || acc.OrgID != a.ID || !acc.CanSee(1) || !acc.CanSee(inner.ID) {
		t.Errorf("Access(A) = %+v, %v", acc, err)
	}
	if !slices.IsSorted(acc.Audiences) {
		t.Errorf("Access not sorted: %v", acc.Audiences)
	}
}

// testMembershipChange: a membership change applies at once to what is
// already shared.
func testMembershipChange(t *testing.T, e *env) {
	a, b := e.org("A"), e.org("B")
	e.group("inner", "A")
	e.group("outer", "inner")
	outer := e.coll(a, "outer")
	e.mustAdd(a, outer, sub(obj("indicator", uuid(1), t0, nil, nil)))
	if _, err := e.s.Objects(as(b), outer, dragnet.Filter{}, false); code(err) != dragnet.ENOTFOUND {
		t.Fatalf("B reads outer before joining: %v", err)
	}
	if err := e.s.AddGroupMembers(e.sys, "inner", []string{"B"}); err != nil {
		t.Fatal(err)
	}
	if got := e.list(b, outer, dragnet.Filter{}); len(got) != 1 {
		t.Errorf("B after joining inner sees %d objects in outer, want 1", len(got))
	}
	if err := e.s.RemoveGroupMembers(e.sys, "outer", []string{"inner"}); err != nil {
		t.Fatal(err)
	}
	for _, o := range []*dragnet.Org{a, b} {
		if _, err := e.s.Objects(as(o), outer, dragnet.Filter{}, false); code(err) != dragnet.ENOTFOUND {
			t.Errorf("%s reads outer after inner left it: %v", o.Name, err)
		}
	}
}
