package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/export"
)

func (m *Main) runExport(ctx context.Context, args []string) error {
	fs := m.newFlagSet("export", "--data DIR --org NAME --format "+strings.Join(export.Formats, "|")+" [--type …] [--since …] [--tlp-max LEVEL] [--share] [--out FILE]\n\n"+
		"Writes what the organisation may see: STIX bundles and MISP events (objects),\n"+
		"or the values of live indicators as CSV, Suricata rules, a Zeek Intel file or a\n"+
		"plain list. Nothing above --tlp-max (default amber+strict) goes in; with --share\n"+
		"(a file for sharing outside the organisation) nothing above GREEN, ever.")
	var sf storeFlags
	sf.register(fs)
	org := fs.String("org", "", "organisation whose view is exported (required)")
	format := fs.String("format", "", "stix, misp, csv, suricata, zeek or plain (required)")
	types := fs.String("type", "", "comma-separated: STIX types (stix, misp) or value kinds ip, cidr, domain, url, email, md5, sha1, sha256, sha512, hash")
	since := fs.String("since", "", "only objects added after this time (RFC 3339, YYYY-MM-DD) or this long ago (24h)")
	tlpMax := fs.String("tlp-max", "", "most restrictive TLP to export (default amber+strict; green with --share)")
	share := fs.Bool("share", false, "the file is for sharing outside the organisation: never AMBER, AMBER+STRICT or RED")
	out := fs.String("out", "", "write to this file instead of standard output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *org == "" {
		return dragnet.Errorf(dragnet.EINVALID, "--org is required")
	}
	o, err := export.ParseOptions(*format, *types, *since, *tlpMax, *share, time.Now())
	if err != nil {
		return err
	}
	st, err := m.openStore(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()
	og, err := st.FindOrg(dragnet.SystemContext(ctx), *org)
	if err != nil {
		return err
	}
	octx := dragnet.OrgContext(ctx, og, dragnet.RoleRead)
	var w io.Writer = m.Stdout
	var f *os.File
	if *out != "" {
		if f, err = os.Create(*out); err != nil {
			return err
		}
		w = f
	}
	stats, err := export.Export(octx, st, w, o)
	ev := &dragnet.AuditEvent{Time: time.Now(), OrgID: og.ID, OrgName: og.Name, Action: "export", Target: o.Format, Outcome: "ok", Remote: "cli"}
	if err != nil {
		ev.Outcome, ev.Detail = "error", dragnet.ErrorMessage(err)
	} else {
		ev.Detail = fmt.Sprintf("%d written, %d left out; tlp-max %s, share %v", stats.Objects, stats.Skipped, o.TLPMax, o.Share)
	}
	if aerr := st.Audit(ctx, ev); aerr != nil && err == nil {
		err = aerr
	}
	if f != nil {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	if err != nil {
		return err
	}
	if *out != "" {
		fmt.Fprintf(m.Stderr, "%d written, %d left out\n", stats.Objects, stats.Skipped)
	}
	return nil
}
