package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/feed"
	"github.com/dragnet-intel/dragnet/feed/input"
	"github.com/dragnet-intel/dragnet/feed/warninglist"
)

func (m *Main) runFeed(ctx context.Context, args []string) error {
	return m.runSub(ctx, "feed", args, map[string]subcommand{
		"add":    {"add a feed pulled on a schedule (by serve, or feed run)", (*Main).runFeedAdd},
		"list":   {"list feeds with the result of their last pull", (*Main).runFeedList},
		"run":    {"pull feeds now (all enabled ones, or --name)", (*Main).runFeedRun},
		"remove": {"remove a feed (what it stored stays)", (*Main).runFeedRemove},
	})
}

// feedStore returns the store as a feed store, or an error for backends
// without feeds.
func feedStore(st dragnet.Store) (feed.FeedStore, error) {
	fs, ok := st.(feed.FeedStore)
	if !ok {
		return nil, dragnet.Errorf(dragnet.EUNSUPPORTED, "this store does not keep feeds (use the embedded store, --data)")
	}
	return fs, nil
}

// FeedScheduler returns the scheduler serve runs (Run(ctx) pulls due
// feeds until ctx ends), or nil when the store keeps no feeds. Values on
// the warninglists wl (nil: none) are flagged at ingest.
func (m *Main) FeedScheduler(st dragnet.Store, wl *warninglist.Set) *feed.Scheduler {
	fs, err := feedStore(st)
	if err != nil {
		return nil
	}
	opt := feed.SchedulerOptions{Logger: m.Logger}
	if wl != nil {
		opt.Warninglists = wl
	}
	return feed.NewScheduler(fs, input.Pull(&http.Client{Timeout: 10 * time.Minute}), opt)
}

func (m *Main) runFeedAdd(ctx context.Context, args []string) error {
	fs := m.newFlagSet("feed add", "--data DIR --name NAME --org ORG --url URL|PATH [--group NAME | --collection ID] [--interval 1h] [--gone revoke|expire|keep] [ingest flags]")
	var f ingestFlags
	f.sf.register(fs)
	f.register(fs)
	name := fs.String("name", "", "feed name (required, unique)")
	url := fs.String("url", "", "where the feed is: an http(s) URL, a file, a folder or a MISP feed's manifest.json (required)")
	interval := fs.Duration("interval", time.Hour, "time between pulls (at least 1m)")
	gone := fs.String("gone", "revoke", "what becomes of entries gone from the feed (a line of a list, an attribute or event of a MISP feed, an object no longer in a TAXII collection's manifest): revoke, expire or keep")
	disabled := fs.Bool("disabled", false, "add the feed disabled (not pulled by the schedule)")
	taxiiColl := fs.String("taxii-collection", "", "with --format taxii: the remote collection id (--url is the TAXII server)")
	taxiiUser := fs.String("taxii-user", "", "with --format taxii: HTTP Basic user (a Dragnet hub's organisation name)")
	taxiiToken := fs.String("taxii-token", "", "with --format taxii: the token (Basic password, or Bearer without --taxii-user)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *name == "" || *url == "" {
		return dragnet.Errorf(dragnet.EINVALID, "--name and --url are required")
	}
	if _, err := feed.ParseGoneMode(*gone); err != nil {
		return err
	}
	s, err := f.settings()
	if err != nil {
		return err
	}
	if s.Format == input.FormatTAXII {
		if *taxiiColl == "" {
			return dragnet.Errorf(dragnet.EINVALID, "--format taxii needs --taxii-collection")
		}
		s.Collection, s.User, s.Token = *taxiiColl, *taxiiUser, *taxiiToken
	}
	settings, _ := json.Marshal(s)
	st, err := m.openStore(ctx, f.sf)
	if err != nil {
		return err
	}
	defer st.Close()
	fst, err := feedStore(st)
	if err != nil {
		return err
	}
	_, org, coll, err := m.ingestTarget(ctx, st, &f)
	if err != nil {
		return err
	}
	fd := &dragnet.Feed{Name: *name, OrgName: org.Name, CollectionID: coll, URL: *url, Settings: string(settings),
		Interval: *interval, Gone: *gone, Enabled: !*disabled}
	if f.tlp != "" {
		if fd.TLP, err = dragnet.ParseTLP(f.tlp); err != nil {
			return err
		}
	}
	if err := fst.CreateFeed(dragnet.SystemContext(ctx), fd); err != nil {
		return err
	}
	return m.printJSON(feedJSON(fd))
}

func feedJSON(f *dragnet.Feed) map[string]any {
	out := map[string]any{
		"name": f.Name, "org": f.OrgName, "collection": f.CollectionID, "url": f.URL, "settings": redacted(f.Settings),
		"tlp": f.TLP.String(), "interval": f.Interval.String(), "gone": f.Gone, "enabled": f.Enabled, "created": f.Created,
		"next_due": feed.Due(f),
	}
	if !f.LastRun.IsZero() {
		out["last_run"] = f.LastRun
	}
	if !f.LastSuccess.IsZero() {
		out["last_success"] = f.LastSuccess
	}
	if f.LastError != "" {
		out["last_error"], out["failures"] = f.LastError, f.Failures
	}
	if f.LastSummary != "" {
		out["last_summary"] = json.RawMessage(f.LastSummary)
	}
	return out
}

// redacted returns a feed's settings with its TAXII token hidden.
func redacted(settings string) any {
	s, err := input.ParseSettings(settings)
	if err != nil {
		return settings
	}
	if s.Token != "" {
		s.Token = "(set)"
	}
	return s
}

func (m *Main) runFeedList(ctx context.Context, args []string) error {
	fs := m.newFlagSet("feed list", "--data DIR")
	var sf storeFlags
	sf.register(fs)
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
	fst, err := feedStore(st)
	if err != nil {
		return err
	}
	feeds, err := fst.ListFeeds(dragnet.SystemContext(ctx))
	if err != nil {
		return err
	}
	for _, f := range feeds {
		if err := m.printJSON(feedJSON(f)); err != nil {
			return err
		}
	}
	return nil
}

func (m *Main) runFeedRun(ctx context.Context, args []string) error {
	fs := m.newFlagSet("feed run", "--data DIR [--name NAME]")
	var sf storeFlags
	sf.register(fs)
	name := fs.String("name", "", "pull only this feed (even if disabled)")
	wl := fs.String("warninglists", "", "folder of MISP warninglists (default: DIR/warninglists if it exists)")
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
	fst, err := feedStore(st)
	if err != nil {
		return err
	}
	// A folder that does not load is logged and ignored, so that feeds
	// still run.
	set, err := m.loadWarninglists(*wl, sf.data)
	if err != nil {
		m.Logger.Warn("feeds run without warninglists", "dir", *wl, "err", err)
		set = nil
	}
	sched := m.FeedScheduler(st, set)
	sys := dragnet.SystemContext(ctx)
	var feeds []*dragnet.Feed
	if *name != "" {
		f, err := fst.FindFeed(sys, *name)
		if err != nil {
			return err
		}
		feeds = append(feeds, f)
	} else {
		all, err := fst.ListFeeds(sys)
		if err != nil {
			return err
		}
		for _, f := range all {
			if f.Enabled {
				feeds = append(feeds, f)
			}
		}
	}
	failed := 0
	for _, f := range feeds {
		sum, err := sched.RunFeed(ctx, f)
		out := map[string]any{"feed": f.Name}
		if err != nil {
			failed++
			out["error"] = err.Error()
		} else {
			out["summary"] = sum
		}
		if err := m.printJSON(out); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d feeds failed", failed, len(feeds))
	}
	return nil
}

func (m *Main) runFeedRemove(ctx context.Context, args []string) error {
	fs := m.newFlagSet("feed remove", "--data DIR --name NAME")
	var sf storeFlags
	sf.register(fs)
	name := fs.String("name", "", "feed to remove (required)")
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
	fst, err := feedStore(st)
	if err != nil {
		return err
	}
	return fst.DeleteFeed(dragnet.SystemContext(ctx), *name)
}
