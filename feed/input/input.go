// Package input ingests locations — files, folders, URLs, MISP feeds — by
// choosing the connector for each (feed/stix, feed/misp, feed/csv) and
// running it through a feed.Pipeline. The CLI's ingest and the feed
// scheduler both go through Ingest.
package input

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/feed"
	"github.com/dragnet-intel/dragnet/feed/csv"
	"github.com/dragnet-intel/dragnet/feed/misp"
	fstix "github.com/dragnet-intel/dragnet/feed/stix"
	ftaxii "github.com/dragnet-intel/dragnet/feed/taxii"
	"github.com/dragnet-intel/dragnet/taxii"
)

// Settings say how to read a location. They are stored with a scheduled
// feed as JSON.
type Settings struct {
	// Format is auto, stix, misp, csv or text ("" is auto: sniffed from
	// the name and the first bytes).
	Format string `json:"format,omitempty"`
	// CSV and text options (see csv.Config).
	ValueColumns []int    `json:"value_columns,omitempty"`
	Delimiter    string   `json:"delimiter,omitempty"`
	Kind         string   `json:"kind,omitempty"`
	Exclude      string   `json:"exclude,omitempty"`
	NoHeader     bool     `json:"no_header,omitempty"`
	Labels       []string `json:"labels,omitempty"`
	// TAXII: the collection id at the URL (the server's address or its
	// discovery URL), and the credentials: HTTP Basic with User, else
	// Bearer.
	Collection string `json:"collection,omitempty"`
	User       string `json:"user,omitempty"`
	Token      string `json:"token,omitempty"`
}

// FromPreset returns the settings of a MISP default-feed preset.
func FromPreset(p csv.Preset) Settings {
	s := Settings{Format: feed.FormatCSV, ValueColumns: p.Config.ValueColumns}
	if p.Config.Text {
		s.Format = feed.FormatText
	}
	if p.Config.Delimiter != 0 {
		s.Delimiter = string(p.Config.Delimiter)
	}
	if p.Config.Exclude != nil {
		s.Exclude = p.Config.Exclude.String()
	}
	return s
}

// Decoder returns the decoder for format (not auto) with these settings.
func (s Settings) Decoder(format string) (feed.Decoder, error) {
	switch format {
	case feed.FormatSTIX:
		return &fstix.Decoder{}, nil
	case feed.FormatMISP:
		return &misp.Decoder{}, nil
	case FormatTAXII:
		return nil, dragnet.Errorf(dragnet.EINVALID, "format taxii is for scheduled feeds (dragnet feed add --format taxii --collection ID)")
	case feed.FormatCSV, feed.FormatText:
		cfg := csv.Config{Text: format == feed.FormatText, ValueColumns: s.ValueColumns, NoHeader: s.NoHeader, Labels: s.Labels}
		if s.Delimiter != "" {
			d := []rune(s.Delimiter)
			if len(d) != 1 {
				return nil, dragnet.Errorf(dragnet.EINVALID, "delimiter %q is not one character", s.Delimiter)
			}
			cfg.Delimiter = d[0]
		}
		if s.Kind != "" {
			cfg.Kind = feed.ParseKind(s.Kind)
			if cfg.Kind == "" {
				return nil, dragnet.Errorf(dragnet.EINVALID, "value kind %q is unknown (ip, cidr, domain, url, email, md5, sha1, sha256, sha512)", s.Kind)
			}
		}
		if s.Exclude != "" {
			re, err := feed.CompileDelimited(s.Exclude)
			if err != nil {
				return nil, dragnet.Errorf(dragnet.EINVALID, "exclude: %v", err)
			}
			cfg.Exclude = re
		}
		return &csv.Decoder{Config: cfg}, nil
	}
	return nil, dragnet.Errorf(dragnet.EINVALID, "format %q is not one of auto, stix, misp, csv, text, taxii", format)
}

// Options are the run's collaborators.
type Options struct {
	Client *http.Client
	// Known holds the manifest timestamps of MISP feed events already
	// loaded; events whose timestamp has not changed are not fetched again.
	// Ingest updates it. Nil: load every event.
	Known map[string]int64
	// Parts, if set, follows MISP feeds event by event (feed.PullState
	// does): Ingest tells it the events each manifest lists, which event
	// it reads, and which could not be read.
	Parts Parts
}

// Parts follows the parts of a source read in parts: a MISP feed's
// events, by uuid.
type Parts interface {
	// AddParts says that the source holds these parts.
	AddParts(keys ...string)
	// BeginPart says that what is read next belongs to key ("" for what
	// belongs to no part).
	BeginPart(key string)
	// FailPart says that part key could not be read as a whole.
	FailPart(key string)
}

// Ingest reads one location through p. A folder is read file by file (a
// folder holding manifest.json is a MISP feed); a URL ending in
// manifest.json is a MISP feed over HTTP. b.Source, if empty, becomes the
// location's base name for each input, so that ids do not depend on where
// a file was read from.
func Ingest(ctx context.Context, p *feed.Pipeline, b *feed.Builder, loc string, s Settings, o Options) (*feed.Summary, error) {
	sum := &feed.Summary{Outcomes: map[feed.Outcome]int{}}
	if feed.IsURL(loc) {
		if strings.HasSuffix(strings.SplitN(loc, "?", 2)[0], "/manifest.json") {
			base := loc[:strings.LastIndex(loc, "/")+1]
			return sum, mispFeed(ctx, p, b, loc, func(name string) string { return base + name }, o, sum)
		}
		return sum, one(ctx, p, b, loc, s, o, sum)
	}
	fi, err := os.Stat(loc)
	if err != nil {
		return nil, dragnet.Errorf(dragnet.EINVALID, "input %s: %v", loc, err)
	}
	if !fi.IsDir() {
		if filepath.Base(loc) == "manifest.json" {
			dir := filepath.Dir(loc)
			return sum, mispFeed(ctx, p, b, loc, func(name string) string { return filepath.Join(dir, name) }, o, sum)
		}
		return sum, one(ctx, p, b, loc, s, o, sum)
	}
	if _, err := os.Stat(filepath.Join(loc, "manifest.json")); err == nil {
		return sum, mispFeed(ctx, p, b, filepath.Join(loc, "manifest.json"), func(name string) string { return filepath.Join(loc, name) }, o, sum)
	}
	var files, feeds []string
	err = filepath.WalkDir(loc, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != loc && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if d.IsDir() && path != loc {
			if _, err := os.Stat(filepath.Join(path, "manifest.json")); err == nil {
				feeds = append(feeds, path) // a MISP feed: read by its manifest
				return filepath.SkipDir
			}
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".json", ".csv", ".txt", ".list":
			if !d.IsDir() {
				files = append(files, path)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading folder %s: %w", loc, err)
	}
	sort.Strings(files)
	for _, f := range files {
		if err := one(ctx, p, b, f, s, o, sum); err != nil {
			return sum, err
		}
	}
	for _, dir := range feeds {
		if err := mispFeed(ctx, p, b, filepath.Join(dir, "manifest.json"), func(name string) string { return filepath.Join(dir, name) }, o, sum); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// one ingests one file or URL.
func one(ctx context.Context, p *feed.Pipeline, b *feed.Builder, loc string, s Settings, o Options, sum *feed.Summary) error {
	rc, err := feed.Open(ctx, o.Client, loc)
	if err != nil {
		return err
	}
	defer rc.Close()
	return read(ctx, p, b, loc, rc, s, sum)
}

// read ingests one input already open.
func read(ctx context.Context, p *feed.Pipeline, b *feed.Builder, loc string, r io.Reader, s Settings, sum *feed.Summary) error {
	br := bufio.NewReaderSize(r, 64<<10)
	format := s.Format
	if format == "" || format == "auto" {
		head, _ := br.Peek(4096)
		format = feed.Sniff(loc, head)
	}
	dec, err := s.Decoder(format)
	if err != nil {
		return err
	}
	bb := *b
	if bb.Source == "" {
		bb.Source = path.Base(strings.SplitN(filepath.ToSlash(loc), "?", 2)[0])
	}
	got, err := p.Run(ctx, dec, br, &bb, loc)
	if got != nil {
		sum.Add(got)
	}
	return inputError(sum, loc, err)
}

// inputError records an input that could not be decoded as a problem of
// the summary, so that the other inputs still load, and returns other
// errors.
func inputError(sum *feed.Summary, loc string, err error) error {
	var ie *feed.InputError
	if errors.As(err, &ie) {
		sum.AddProblem(feed.Problem{Source: loc, Where: "(whole input)", Reason: ie.Err.Error()})
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", loc, err)
	}
	return nil
}

// mispFeed ingests a MISP feed: the manifest, then each event it lists.
func mispFeed(ctx context.Context, p *feed.Pipeline, b *feed.Builder, manifest string, event func(string) string, o Options, sum *feed.Summary) error {
	rc, err := feed.Open(ctx, o.Client, manifest)
	if err != nil {
		return err
	}
	m, err := misp.ReadManifest(rc)
	rc.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", manifest, err)
	}
	uuids := m.UUIDs()
	if o.Parts != nil {
		o.Parts.AddParts(uuids...)
		defer o.Parts.BeginPart("")
	}
	for _, uuid := range uuids {
		ts := m.Timestamp(uuid)
		if o.Known != nil && o.Known[uuid] == ts {
			continue
		}
		if o.Parts != nil {
			o.Parts.BeginPart(uuid)
		}
		loc := event(uuid + ".json")
		rc, err := feed.Open(ctx, o.Client, loc)
		if err != nil {
			return err
		}
		got, err := p.Run(ctx, &misp.Decoder{}, rc, b, loc)
		rc.Close()
		if got != nil {
			sum.Add(got)
		}
		// An event not read as a whole: what it said before stays, and it
		// is read again next time.
		var ie *feed.InputError
		failed := errors.As(err, &ie)
		if failed && o.Parts != nil {
			o.Parts.FailPart(uuid)
		}
		if err := inputError(sum, loc, err); err != nil {
			return err
		}
		if !failed && o.Known != nil {
			o.Known[uuid] = ts
		}
	}
	return nil
}

// ParseSettings reads stored settings ("" is the zero Settings).
func ParseSettings(s string) (Settings, error) {
	var out Settings
	if s == "" {
		return out, nil
	}
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return out, fmt.Errorf("feed settings: %w", err)
	}
	return out, nil
}

// Pull returns the feed.Puller of every connector: a URL is fetched with
// the feed's validators (ETag, Last-Modified) and an unchanged source is
// not read again; a MISP feed's events are fetched only when their
// manifest timestamp changed; files and folders are read as Ingest reads
// them.
func Pull(client *http.Client) feed.Puller {
	return func(ctx context.Context, p *feed.Pipeline, b *feed.Builder, f *dragnet.Feed, st *feed.PullState) (*feed.Summary, error) {
		s, err := ParseSettings(f.Settings)
		if err != nil {
			return nil, dragnet.Errorf(dragnet.EINVALID, "feed %s: %v", f.Name, err)
		}
		if s.Format == FormatTAXII {
			return pullTAXII(ctx, client, p, b, f, s, st)
		}
		isManifest := strings.HasSuffix(strings.SplitN(f.URL, "?", 2)[0], "manifest.json")
		if !feed.IsURL(f.URL) || isManifest {
			// MISP feeds are followed event by event: an event removed
			// from the manifest, or an attribute removed from an event,
			// is gone; an event whose timestamp did not change is not
			// read again and stays as it was.
			st.PartObjects = func(uuid string) []string { return []string{misp.ReportID(b, uuid)} }
			return Ingest(ctx, p, b, f.URL, s, Options{Client: client, Known: st.Known, Parts: st})
		}
		res, err := feed.Fetch(ctx, client, f.URL, st.Validators)
		if err != nil {
			return nil, err
		}
		st.Validators = res.Validators
		if res.NotModified {
			st.NotModified = true
			return &feed.Summary{Outcomes: map[feed.Outcome]int{}}, nil
		}
		defer res.Body.Close()
		sum := &feed.Summary{Outcomes: map[feed.Outcome]int{}}
		if err := read(ctx, p, b, f.URL, res.Body, s, sum); err != nil {
			return sum, err
		}
		if sum.RejectedInputs > 0 {
			// The source was not readable as a whole: keep the last good
			// data (a retry or the next pull may do better).
			return sum, fmt.Errorf("%s: %s", f.URL, sum.Problems[len(sum.Problems)-1].Reason)
		}
		return sum, nil
	}
}

// FormatTAXII reads a remote TAXII 2.1 collection (scheduled feeds only).
const FormatTAXII = "taxii"

// pullTAXII reads what the collection added since the feed's cursor.
func pullTAXII(ctx context.Context, client *http.Client, p *feed.Pipeline, b *feed.Builder, f *dragnet.Feed, s Settings, st *feed.PullState) (*feed.Summary, error) {
	if s.Collection == "" {
		return nil, dragnet.Errorf(dragnet.EINVALID, "feed %s: a TAXII feed needs a collection id", f.Name)
	}
	c, err := taxii.NewClient(f.URL, taxii.ClientOptions{HTTPClient: client, User: s.User, Token: s.Token})
	if err != nil {
		return nil, dragnet.Errorf(dragnet.EINVALID, "feed %s: %v", f.Name, err)
	}
	since, err := ftaxii.ParseCursor(st.Cursor)
	if err != nil {
		since = time.Time{}
	}
	dec := &ftaxii.Decoder{Client: c, Collection: s.Collection, Since: since}
	// Only what was added since the cursor is read: an object is gone when
	// the collection's manifest no longer lists it (deleted upstream, or no
	// longer shared with us). A new version revoked upstream is pulled as
	// any new version is.
	st.Incremental = true
	sum, err := p.Run(ctx, dec, strings.NewReader(""), b, f.URL)
	if err != nil {
		return sum, err
	}
	st.Cursor = ftaxii.FormatCursor(dec.Last)
	if mode, _ := feed.ParseGoneMode(f.Gone); mode != feed.GoneKeep {
		present, err := ftaxii.Present(ctx, c, s.Collection)
		if err != nil {
			// What was pulled stands; what is gone is found next time.
			sum.AddProblem(feed.Problem{Source: f.URL, Where: "(manifest)", Reason: err.Error()})
			return sum, nil
		}
		st.Present = present
	}
	return sum, nil
}
