package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/feed"
	"github.com/dragnet-intel/dragnet/feed/csv"
	"github.com/dragnet-intel/dragnet/feed/input"
	"github.com/dragnet-intel/dragnet/feed/warninglist"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

const ingestUsage = `--data DIR --org NAME [--group NAME | --collection ID] [--format auto|stix|misp|csv|text] [--tlp LEVEL] PATH|URL...

Loads STIX bundles (2.0 and 2.1), MISP events and feeds (a folder or URL
holding manifest.json), CSV and plain-text blocklists into one collection of
the organisation (its own by default), and prints a summary that accounts
for every entry: new, updated, unchanged, warninglisted, rejected (with the
line or JSON path and the reason). Loading the same input again creates
nothing new; a changed entry becomes a new version.`

// ingestFlags are the flags ingest and feed add share.
type ingestFlags struct {
	sf           storeFlags
	org          string
	group        string
	collection   string
	format       string
	tlp          string
	source       string
	warninglists string
	indicateWL   bool
	valueColumns string
	delimiter    string
	kind         string
	exclude      string
	noHeader     bool
	preset       string
	presets      string
	labels       string
}

func (f *ingestFlags) register(fs interface {
	StringVar(*string, string, string, string)
	BoolVar(*bool, string, bool, string)
}) {
	fs.StringVar(&f.org, "org", "", "organisation the objects are published as (required)")
	fs.StringVar(&f.group, "group", "", "publish to this sharing group's collection")
	fs.StringVar(&f.collection, "collection", "", "publish to this collection id (default: the organisation's own)")
	fs.StringVar(&f.format, "format", "auto", "auto, stix, misp, csv or text")
	fs.StringVar(&f.tlp, "tlp", "", "TLP of the objects built from MISP, CSV and text without a TLP of their own (default: the collection's)")
	fs.StringVar(&f.source, "source", "", "source name the ids are derived from (default: the file or URL base name; MISP uses the event uuids)")
	fs.StringVar(&f.warninglists, "warninglists", "", "folder of MISP warninglists (default: DIR/warninglists if it exists)")
	fs.BoolVar(&f.indicateWL, "indicate-warninglisted", false, "turn warninglisted values into indicators all the same")
	fs.StringVar(&f.valueColumns, "value-column", "", "CSV: 1-based column(s) holding the value, comma-separated")
	fs.StringVar(&f.delimiter, "delimiter", "", "CSV: field delimiter (default ,)")
	fs.StringVar(&f.kind, "kind", "", "CSV/text: every value is of this kind (ip, cidr, domain, url, email, md5, sha1, sha256, sha512)")
	fs.StringVar(&f.exclude, "exclude", "", "CSV/text: skip lines matching this regular expression (/re/flags)")
	fs.BoolVar(&f.noHeader, "no-header", false, "CSV: the first line is data even if it holds no value")
	fs.StringVar(&f.preset, "preset", "", "CSV/text: settings of this MISP default feed (by name; needs --presets)")
	fs.StringVar(&f.presets, "presets", "", "MISP feed-metadata file (defaults.json) for --preset")
	fs.StringVar(&f.labels, "labels", "", "CSV/text: labels for every indicator, comma-separated")
}

// settings turns the flags into input settings.
func (f *ingestFlags) settings() (input.Settings, error) {
	s := input.Settings{Format: f.format, Delimiter: f.delimiter, Kind: f.kind, Exclude: f.exclude, NoHeader: f.noHeader, Labels: splitList(f.labels)}
	if f.preset != "" {
		if f.presets == "" {
			return s, dragnet.Errorf(dragnet.EINVALID, "--preset needs --presets FILE (MISP's feed-metadata defaults.json)")
		}
		r, err := os.Open(f.presets)
		if err != nil {
			return s, dragnet.Errorf(dragnet.EINVALID, "--presets: %v", err)
		}
		ps, err := csv.LoadPresets(r)
		r.Close()
		if err != nil {
			return s, dragnet.Errorf(dragnet.EINVALID, "--presets: %v", err)
		}
		p, ok := csv.FindPreset(ps, f.preset)
		if !ok {
			return s, dragnet.Errorf(dragnet.EINVALID, "no csv or freetext feed named %q in %s", f.preset, f.presets)
		}
		ps0 := input.FromPreset(p)
		ps0.Labels, ps0.Kind, ps0.NoHeader = s.Labels, s.Kind, s.NoHeader
		s = ps0
	}
	for _, c := range splitList(f.valueColumns) {
		var n int
		if _, err := fmt.Sscanf(c, "%d", &n); err != nil || n < 1 {
			return s, dragnet.Errorf(dragnet.EINVALID, "--value-column %q is not a list of column numbers", f.valueColumns)
		}
		s.ValueColumns = append(s.ValueColumns, n)
	}
	if s.Format == "" {
		s.Format = "auto"
	}
	if s.Format != "auto" && s.Format != input.FormatTAXII {
		if _, err := s.Decoder(s.Format); err != nil {
			return s, err
		}
	}
	return s, nil
}

// target resolves the organisation and the collection.
func (m *Main) ingestTarget(ctx context.Context, st dragnet.Store, f *ingestFlags) (context.Context, *dragnet.Org, string, error) {
	if f.org == "" {
		return nil, nil, "", dragnet.Errorf(dragnet.EINVALID, "--org is required")
	}
	if f.group != "" && f.collection != "" {
		return nil, nil, "", dragnet.Errorf(dragnet.EINVALID, "give --group or --collection, not both")
	}
	org, err := st.FindOrg(dragnet.SystemContext(ctx), f.org)
	if err != nil {
		return nil, nil, "", err
	}
	octx := dragnet.OrgContext(ctx, org, dragnet.RoleWrite)
	if f.collection != "" {
		return octx, org, f.collection, nil
	}
	cols, err := st.Collections(octx)
	if err != nil {
		return nil, nil, "", err
	}
	for _, c := range cols {
		if f.group != "" && c.Kind == dragnet.AudienceGroup && c.Title == f.group {
			return octx, org, c.CollectionID, nil
		}
		if f.group == "" && c.Kind == dragnet.AudienceOrg && c.RefID == org.ID {
			return octx, org, c.CollectionID, nil
		}
	}
	if f.group != "" {
		return nil, nil, "", dragnet.Errorf(dragnet.ENOTFOUND, "organisation %s has no collection of group %q", org.Name, f.group)
	}
	return nil, nil, "", dragnet.Errorf(dragnet.ENOTFOUND, "organisation %s has no collection of its own", org.Name)
}

// builder makes the run's Builder.
func (m *Main) builder(f *ingestFlags, org *dragnet.Org) (*feed.Builder, error) {
	b := &feed.Builder{Scope: org.IDScope(), Source: f.source, IndicateWarninglisted: f.indicateWL}
	if f.tlp != "" {
		l, err := dragnet.ParseTLP(f.tlp)
		if err != nil {
			return nil, err
		}
		b.Markings = []string{dragnet.MarkingOfTLP(l)}
	}
	dir := f.warninglists
	if dir == "" && f.sf.data != "" {
		if st, err := os.Stat(f.sf.data + "/warninglists"); err == nil && st.IsDir() {
			dir = f.sf.data + "/warninglists"
		}
	}
	if dir != "" {
		set, err := warninglist.Load(dir)
		if err != nil {
			return nil, dragnet.Errorf(dragnet.EINVALID, "--warninglists: %v", err)
		}
		b.Warninglists = set
	}
	return b, nil
}

func (m *Main) runIngest(ctx context.Context, args []string) error {
	fs := m.newFlagSet("ingest", ingestUsage)
	var f ingestFlags
	f.sf.register(fs)
	f.register(fs)
	asJSON := fs.Bool("json", false, "print the summary as one JSON line")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return dragnet.Errorf(dragnet.EINVALID, "give at least one PATH or URL to ingest")
	}
	s, err := f.settings()
	if err != nil {
		return err
	}
	st, err := m.openStore(ctx, f.sf)
	if err != nil {
		return err
	}
	defer st.Close()
	octx, org, coll, err := m.ingestTarget(ctx, st, &f)
	if err != nil {
		return err
	}
	b, err := m.builder(&f, org)
	if err != nil {
		return err
	}
	p := &feed.Pipeline{Store: st, Collection: coll}
	bar := m.progress("ingesting")
	if bar != nil {
		last := 0
		p.Progress = func(n int) {
			if n < last {
				last = 0 // a new input
			}
			bar.Add(n - last)
			last = n
		}
	}
	total := &feed.Summary{Outcomes: map[feed.Outcome]int{}}
	client := &http.Client{Timeout: 10 * time.Minute}
	for _, loc := range fs.Args() {
		sum, err := input.Ingest(octx, p, b, loc, s, input.Options{Client: client})
		if sum != nil {
			total.Add(sum)
		}
		if err != nil {
			if bar != nil {
				bar.Finish()
			}
			m.printSummary(total, *asJSON)
			return err
		}
	}
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(m.Stderr)
	}
	return m.printSummary(total, *asJSON)
}

func (m *Main) printSummary(s *feed.Summary, asJSON bool) error {
	if asJSON {
		b, err := json.Marshal(s)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(m.Stdout, "%s\n", b)
		return err
	}
	_, err := io.WriteString(m.Stdout, s.String())
	return err
}

// progress returns a progress bar on stderr when it is a terminal, else nil.
func (m *Main) progress(what string) *progressbar.ProgressBar {
	f, ok := m.Stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions(-1, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(),
		progressbar.OptionThrottle(100*time.Millisecond))
}
