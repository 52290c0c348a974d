package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// testAdminAudit: the store records each successful administrative action
// as exactly one audit event (right action, acting organisation, target,
// outcome "ok"), in the same transaction as the action; a refused or
// no-op action records nothing.
func testAdminAudit(t *testing.T, e *env) {
	var last int64
	// step runs fn and checks the audit events it produced: want is the
	// expected event, or nil for none.
	step := func(what string, fn func() error, want *dragnet.AuditEvent) {
		t.Helper()
		err := fn()
		if want != nil && err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		evs, rerr := e.s.AuditEvents(e.sys, dragnet.AuditFilter{Limit: 100000})
		if rerr != nil {
			t.Fatalf("%s: reading audit: %v", what, rerr)
		}
		var fresh []*dragnet.AuditEvent
		for _, ev := range evs {
			if ev.ID > last {
				fresh = append(fresh, ev)
				last = ev.ID
			}
		}
		if want == nil {
			if err == nil && what[0] != '-' {
				t.Errorf("%s: succeeded, want a refusal", what)
			}
			if len(fresh) != 0 {
				t.Errorf("%s: recorded %d events, want none: %+v", what, len(fresh), *fresh[0])
			}
			return
		}
		if len(fresh) != 1 {
			t.Errorf("%s: recorded %d events, want 1", what, len(fresh))
			return
		}
		got := fresh[0]
		if got.Action != want.Action || got.OrgID != want.OrgID || got.OrgName != want.OrgName ||
			got.Target != want.Target || got.Outcome != "ok" || got.Time.IsZero() {
			t.Errorf("%s: recorded %+v, want action %s, org %d %q, target %q, outcome ok",
				what, *got, want.Action, want.OrgID, want.OrgName, want.Target)
		}
		if want.Detail != "" && got.Detail != want.Detail {
			t.Errorf("%s: detail %q, want %q", what, got.Detail, want.Detail)
		}
	}

	var op *dragnet.Org
	step("EnsureOperator", func() (err error) {
		op, _, _, err = e.s.EnsureOperator(e.sys, "operator", "NL")
		return err
	}, &dragnet.AuditEvent{Action: "operator.create", OrgName: "system", Target: "operator"})
	step("-second EnsureOperator", func() error {
		_, _, _, err := e.s.EnsureOperator(e.sys, "operator", "NL")
		return err
	}, nil)

	opCtx := dragnet.OrgContext(context.Background(), op, dragnet.RoleAdmin)
	asOp := func(action, target, detail string) *dragnet.AuditEvent {
		return &dragnet.AuditEvent{Action: action, OrgID: op.ID, OrgName: op.Name, Target: target, Detail: detail}
	}
	a := &dragnet.Org{Name: "A", Country: "EE", Kind: dragnet.KindCERT}
	step("CreateOrg", func() error { return e.s.CreateOrg(opCtx, a) }, asOp("org.create", "A", "EE cert"))
	step("CreateOrg by the system", func() error {
		return e.s.CreateOrg(e.sys, &dragnet.Org{Name: "B", Country: "LV", Kind: dragnet.KindCERT})
	}, &dragnet.AuditEvent{Action: "org.create", OrgName: "system", Target: "B", Detail: "LV cert"})
	step("CreateOrg duplicate", func() error { return e.s.CreateOrg(opCtx, &dragnet.Org{Name: "A", Country: "EE"}) }, nil)
	step("CreateOrg by a member", func() error {
		return e.s.CreateOrg(dragnet.OrgContext(context.Background(), a, dragnet.RoleAdmin), &dragnet.Org{Name: "C", Country: "EE"})
	}, nil)

	adminA := dragnet.OrgContext(context.Background(), a, dragnet.RoleAdmin)
	var tok *dragnet.Token
	step("CreateToken by the org's admin", func() (err error) {
		_, tok, err = e.s.CreateToken(adminA, "A", dragnet.RoleWrite, "feed", time.Time{})
		return err
	}, &dragnet.AuditEvent{Action: "token.create", OrgID: a.ID, OrgName: "A", Target: "A"})
	if tok == nil {
		t.FailNow()
	}
	step("CreateToken by the operator", func() error {
		_, _, err := e.s.CreateToken(opCtx, "A", dragnet.RoleRead, "", time.Time{})
		return err
	}, asOp("token.create", "A", ""))
	step("CreateToken with a bad role", func() error {
		_, _, err := e.s.CreateToken(adminA, "A", "root", "", time.Time{})
		return err
	}, nil)
	step("CreateToken for another org", func() error {
		_, _, err := e.s.CreateToken(adminA, "B", dragnet.RoleRead, "", time.Time{})
		return err
	}, nil)
	step("RevokeToken", func() error { return e.s.RevokeToken(adminA, tok.ID) },
		&dragnet.AuditEvent{Action: "token.revoke", OrgID: a.ID, OrgName: "A", Target: fmt.Sprintf("token %d", tok.ID)})
	step("-RevokeToken again", func() error { return e.s.RevokeToken(adminA, tok.ID) }, nil)
	step("RevokeToken unknown", func() error { return e.s.RevokeToken(adminA, tok.ID+1000) }, nil)

	step("CreateGroup", func() error {
		_, err := e.s.CreateGroup(opCtx, "baltic", []string{"A"})
		return err
	}, asOp("group.create", "baltic", "A"))
	step("CreateGroup unknown member", func() error {
		_, err := e.s.CreateGroup(opCtx, "nordic", []string{"nobody"})
		return err
	}, nil)
	step("AddGroupMembers", func() error { return e.s.AddGroupMembers(opCtx, "baltic", []string{"B"}) },
		asOp("group.members.add", "baltic", "B"))
	step("AddGroupMembers unknown group", func() error { return e.s.AddGroupMembers(opCtx, "nordic", []string{"B"}) }, nil)
	step("RemoveGroupMembers", func() error { return e.s.RemoveGroupMembers(opCtx, "baltic", []string{"A"}) },
		asOp("group.members.remove", "baltic", "A"))
	step("RemoveGroupMembers not a member", func() error { return e.s.RemoveGroupMembers(opCtx, "baltic", []string{"A"}) }, nil)
	step("RemoveGroupMembers by a member", func() error { return e.s.RemoveGroupMembers(adminA, "baltic", []string{"B"}) }, nil)
}
