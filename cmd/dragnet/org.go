package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/web"
)

func (m *Main) runOrg(ctx context.Context, args []string) error {
	return m.runSub(ctx, "org", args, map[string]subcommand{
		"add":  {"add a member organisation", (*Main).runOrgAdd},
		"list": {"list organisations", (*Main).runOrgList},
	})
}

func (m *Main) runOrgAdd(ctx context.Context, args []string) error {
	fs := m.newFlagSet("org add", "--data DIR --name NAME --country CC [--kind KIND]")
	var sf storeFlags
	sf.register(fs)
	name := fs.String("name", "", "organisation name (unique; the HTTP Basic user name)")
	country := fs.String("country", "", "ISO 3166-1 alpha-2 country code (ZZ: international)")
	kind := fs.String("kind", "other", "law-enforcement, cert, vendor, node or other")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	st, err := m.openStore(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()
	o := &dragnet.Org{Name: *name, Country: *country, Kind: dragnet.OrgKind(*kind)}
	err = st.CreateOrg(dragnet.SystemContext(ctx), o)
	if err := m.auditAdmin(ctx, st, "org.create", *name, err); err != nil {
		return err
	}
	return m.printJSON(web.OrgJSON(o))
}

func (m *Main) runOrgList(ctx context.Context, args []string) error {
	fs := m.newFlagSet("org list", "--data DIR")
	var sf storeFlags
	sf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := m.openStore(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()
	orgs, err := st.ListOrgs(dragnet.SystemContext(ctx))
	if err != nil {
		return err
	}
	for _, o := range orgs {
		if err := m.printJSON(web.OrgJSON(o)); err != nil {
			return err
		}
	}
	return nil
}

// auditAdmin records a failed administrative action done on the store
// directly (by the system, from the command line) and returns err. Stores
// record the actions that succeed, in the same transaction.
func (m *Main) auditAdmin(ctx context.Context, st dragnet.Store, action, target string, err error) error {
	if err == nil {
		return nil
	}
	e := &dragnet.AuditEvent{OrgName: "system", Action: action, Target: target, Outcome: "error", Remote: "cli", Detail: userMessage(err)}
	if aerr := st.Audit(ctx, e); aerr != nil {
		m.Logger.Error("recording the audit event", "err", aerr)
	}
	return err
}

// printJSON writes v as one JSON line on stdout.
func (m *Main) printJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(m.Stdout, "%s\n", b)
	return err
}
