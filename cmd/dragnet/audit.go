package main

import (
	"context"
	"time"

	"github.com/dragnet-intel/dragnet"
)

func (m *Main) runAudit(ctx context.Context, args []string) error {
	fs := m.newFlagSet("audit", "--data DIR [--org NAME] [--since 2026-01-02T15:04:05Z] [--limit N]")
	var sf storeFlags
	sf.register(fs)
	org := fs.String("org", "", "only this organisation's events")
	since := fs.String("since", "", "only events at or after this RFC 3339 time")
	limit := fs.Int("limit", 1000, "at most this many events")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	f := dragnet.AuditFilter{Limit: *limit}
	if *since != "" {
		t, err := time.Parse(time.RFC3339Nano, *since)
		if err != nil {
			return dragnet.Errorf(dragnet.EINVALID, "--since %q is not an RFC 3339 time", *since)
		}
		f.Since = t
	}
	st, err := m.openStore(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()
	sys := dragnet.SystemContext(ctx)
	if *org != "" {
		o, err := st.FindOrg(sys, *org)
		if err != nil {
			return err
		}
		f.OrgID = o.ID
	}
	evs, err := st.AuditEvents(sys, f)
	if err != nil {
		return err
	}
	for _, e := range evs {
		if err := m.printJSON(e); err != nil {
			return err
		}
	}
	return nil
}
