package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/feed/warninglist"
	"github.com/dragnet-intel/dragnet/match"
)

// runMatch is `dragnet match`: it compiles every indicator the
// organisation may see, reads telemetry on stdin and writes one JSON line
// per value that hits: {"line", "value", "kind", "indicators":[{"id",
// "tlp", "confidence", "matched"}]}. With --sightings it records what
// matched as STIX sightings in the organisation's own collection.
func (m *Main) runMatch(ctx context.Context, args []string) error {
	fs := m.newFlagSet("match", "(--data DIR | --db URL) --org NAME [--format plain|jsonl|zeek|csv] [--fields a,b] [--time-field NAME] [--sightings] < telemetry")
	var sf storeFlags
	sf.register(fs)
	orgName := fs.String("org", "", "organisation whose view of the intelligence to match against (required)")
	format := fs.String("format", "plain", "input format: plain (one value per line), jsonl, zeek (Zeek JSON logs) or csv")
	fields := fs.String("fields", "", "comma-separated JSON members (jsonl) or CSV columns (csv) holding values")
	timeField := fs.String("time-field", "", "JSON member (jsonl) or CSV column (csv) holding each event's time, by which complex patterns judge FOLLOWEDBY, WITHIN and START/STOP (default: ts, @timestamp, timestamp or time when present; Zeek: ts; else the time a line is read)")
	sightings := fs.Bool("sightings", false, "record a STIX sighting per indicator hit (count, first_seen, last_seen)")
	wl := fs.String("warninglists", "", "folder of MISP warninglists whose values never hit (default: DIR/warninglists if it exists)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *orgName == "" {
		return dragnet.Errorf(dragnet.EINVALID, "--org is required")
	}
	f, err := match.ParseFormat(*format)
	if err != nil {
		return err
	}
	if *wl == "" && sf.data != "" {
		if fi, err := os.Stat(filepath.Join(sf.data, "warninglists")); err == nil && fi.IsDir() {
			*wl = filepath.Join(sf.data, "warninglists")
		}
	}
	var sup *match.Suppression
	if *wl != "" {
		set, err := warninglist.Load(*wl)
		if err != nil {
			return dragnet.Errorf(dragnet.EINVALID, "--warninglists: %v", err)
		}
		sup = match.NewSuppression(set.Values())
	}
	st, err := m.openStore(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()
	vs, ok := st.(dragnet.ValueScanner)
	if !ok {
		return dragnet.Errorf(dragnet.EUNSUPPORTED, "this store cannot scan indicator values")
	}
	sys := dragnet.SystemContext(ctx)
	org, err := st.FindOrg(sys, *orgName)
	if err != nil {
		return err
	}
	role := dragnet.RoleRead
	if *sightings {
		role = dragnet.RoleWrite
	}
	octx := dragnet.OrgContext(ctx, org, role)
	acc, err := st.Access(octx)
	if err != nil {
		return err
	}
	objs, _ := st.(dragnet.ObjectScanner) // complex patterns, where the store can list them
	mt := match.NewMatcher(vs, match.MatcherOptions{Suppress: sup, Logger: m.Logger, Objects: objs})
	if err := mt.Load(sys); err != nil {
		return err
	}
	var tally *match.Sightings
	var onHit func(match.Result) error
	if *sightings {
		tally = match.NewSightings()
		// A sighting is dated by the log: the time of the line a value
		// was read from, or, for a line without one, when it was read.
		onHit = func(r match.Result) error {
			t := r.Time
			if t.IsZero() {
				t = time.Now()
			}
			tally.Add(r, t)
			return nil
		}
	}
	stats, err := match.StreamWith(mt, acc, m.Stdin, match.StreamOptions{Format: f, Fields: splitList(*fields), TimeField: *timeField, EventTime: *sightings}, m.Stdout, onHit)
	if err != nil {
		return err
	}
	m.Logger.Info("match: done", "lines", stats.Lines, "values", stats.Values, "hits", stats.Hits)
	if tally != nil && tally.Len() > 0 {
		own, err := match.OwnCollection(octx, st, org)
		if err != nil {
			return err
		}
		n, err := tally.Write(octx, st, org, own, time.Now())
		if err != nil {
			return fmt.Errorf("recording sightings: %w", err)
		}
		m.Logger.Info("match: sightings recorded", "sightings", n)
	}
	return nil
}
