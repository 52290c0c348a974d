package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/alert"
	"github.com/dragnet-intel/dragnet/auth"
	"github.com/dragnet-intel/dragnet/enrich"
	"github.com/dragnet-intel/dragnet/export"
	"github.com/dragnet-intel/dragnet/feed/warninglist"
	"github.com/dragnet-intel/dragnet/graph"
	"github.com/dragnet-intel/dragnet/match"
	"github.com/dragnet-intel/dragnet/taxii"
	"github.com/dragnet-intel/dragnet/web"
)

func (m *Main) runServe(ctx context.Context, args []string) error {
	fs := m.newFlagSet("serve", "--data DIR | --db postgres://… [--addr HOST:PORT] [--tls-cert FILE --tls-key FILE]")
	var sf storeFlags
	sf.register(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	tlsCert := fs.String("tls-cert", "", "TLS certificate (PEM); with --tls-key, serve HTTPS")
	tlsKey := fs.String("tls-key", "", "TLS private key (PEM)")
	opName := fs.String("operator", "operator", "name of the operator organisation created on first start")
	opCountry := fs.String("operator-country", dragnet.CountryInternational, "country of the operator organisation (ZZ: international)")
	maxBody := fs.Int64("max-content-length", 100<<20, "largest request body accepted, in bytes")
	rate := fs.Float64("rate", 200, "requests per second allowed per token")
	graphEvery := fs.Duration("graph-refresh", 30*time.Second, "how often the correlation graph is rebuilt from the store")
	geoCountry := fs.String("geoip-country", "", "GeoLite2-format country database (.mmdb): addresses get their country in correlations and alerts")
	geoASN := fs.String("geoip-asn", "", "GeoLite2-format ASN database (.mmdb): addresses get their autonomous system")
	privateHooks := fs.Bool("alert-private-webhooks", false, "let members' alert webhooks reach loopback and private addresses (refused by default)")
	wlDir := fs.String("warninglists", "", "folder of MISP warninglists whose values never match (default: DIR/warninglists if it exists)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return dragnet.Errorf(dragnet.EINVALID, "give both --tls-cert and --tls-key, or neither")
	}

	st, err := m.openStore(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()

	op, secret, created, err := st.EnsureOperator(dragnet.SystemContext(ctx), *opName, *opCountry)
	if err != nil {
		return fmt.Errorf("creating the operator organisation: %w", err)
	}

	a := auth.New(st, auth.Options{Logger: m.Logger, RequestsPerSecond: *rate})
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", web.Health(st))
	tx := taxii.NewServer(st, a, taxii.Config{
		Logger:           m.Logger,
		Title:            "Dragnet",
		Description:      "Cyber-crime intelligence exchange",
		MaxContentLength: *maxBody,
	})
	mux.Handle("/taxii2/", tx)
	mux.Handle("/api/v1/", web.NewAPI(st, a, m.Logger))
	mux.Handle("/api/v1/export", export.NewHandler(st, a, m.Logger))

	wl, err := m.loadWarninglists(*wlDir, sf.data)
	if err != nil {
		return err
	}
	var supp *match.Suppression
	var popular func(dragnet.Value) bool
	if wl != nil {
		supp, popular = match.NewSuppression(wl.Values()), wl.Suppressed
	}

	// The matcher keeps every active indicator in memory and follows the
	// store's changes: at once on a change notice where the store sends
	// them (PostgreSQL, several nodes), and every second in any case.
	if scanner, ok := st.(dragnet.ValueScanner); ok {
		objs, _ := st.(dragnet.ObjectScanner) // complex patterns, where the store can list them
		matcher := match.NewMatcher(scanner, match.MatcherOptions{Logger: m.Logger, Suppress: supp, Objects: objs})
		if err := matcher.Load(dragnet.SystemContext(ctx)); err != nil {
			return fmt.Errorf("loading the matcher: %w", err)
		}
		go matcher.Run(dragnet.SystemContext(ctx), time.Second, changes(ctx, st))
		mux.Handle("/api/v1/match", match.NewHandler(matcher, st, a, m.Logger))
		mux.Handle("/api/v1/match/", match.NewHandler(matcher, st, a, m.Logger))
	}

	// Scheduled feeds are pulled here; where several nodes share a
	// database, each due pull is claimed by one of them.
	if sched := m.FeedScheduler(st, wl); sched != nil {
		go func() {
			if err := sched.Run(dragnet.SystemContext(ctx)); err != nil && ctx.Err() == nil {
				m.Logger.Error("feed scheduler stopped", "err", err)
			}
		}()
	}

	gopts := graph.Options{Popular: popular}
	if *geoCountry != "" || *geoASN != "" {
		e, err := enrich.Open(*geoCountry, *geoASN)
		if err != nil {
			return dragnet.Errorf(dragnet.EINVALID, "%v", err)
		}
		// The databases stay open for the life of the process: the
		// graph, alerts and enrichment look addresses up until they stop.
		gopts.Locate = func(a netip.Addr) (graph.Location, bool) {
			info, ok := e.Lookup(a)
			return graph.Location{Country: info.Country, ASN: info.ASN, ASOrg: info.ASOrg}, ok
		}
		// Addresses members publish get their country and autonomous
		// system stored beside them, as STIX, in the same audience and
		// under the same TLP (see enrich.Publisher).
		if es, ok := st.(enrich.Store); ok {
			pub := enrich.NewPublisher(es, e.Lookup, op, m.Logger)
			if err := pub.Start(dragnet.SystemContext(ctx)); err != nil {
				return fmt.Errorf("starting enrichment: %w", err)
			}
			go pub.Run(dragnet.SystemContext(ctx), time.Second, changes(ctx, st))
		}
	}

	// The correlation graph is rebuilt from the store in the background;
	// its API answers 503 until the first build is done.
	var live *graph.Live
	if scanner, ok := st.(dragnet.ObjectScanner); ok {
		live = graph.NewLive(scanner, st.ListOrgs, gopts, m.Logger)
		go live.Run(dragnet.SystemContext(ctx), *graphEvery)
		// Correlation takes in new submissions as they are committed,
		// without waiting for the next rebuild.
		go live.Follow(dragnet.SystemContext(ctx), time.Second, changes(ctx, st))
		gh := web.Authed(a, m.Logger, graph.NewHandler(live.Graph, st.Access, m.Logger).WithCorrelate(live.Correlate).ServeHTTP)
		for _, p := range []string{"/api/v1/graph/", "/api/v1/correlate", "/api/v1/correlate/"} {
			mux.Handle(p, gh)
		}
	}

	// Alerts follow what is published and tell each subscribing member,
	// through its own Access, by its event stream and webhooks.
	if src, ok := st.(alert.Source); ok {
		hub := alert.NewHub(alert.WebhookClient(*privateHooks), m.Logger, nil)
		if c, ok := st.(dragnet.AlertClaimer); ok {
			hub.SetClaim(c.ClaimAlert) // every node makes the alert; one posts it
		}
		wopts := alert.WatchOptions{Logger: m.Logger, Locate: gopts.Locate}
		if live != nil {
			wopts.Correlator, wopts.Sync = live, live.Sync
		}
		watcher := alert.NewWatcher(src, hub, wopts)
		if err := watcher.Start(dragnet.SystemContext(ctx)); err != nil {
			return fmt.Errorf("starting alerts: %w", err)
		}
		go watcher.Run(dragnet.SystemContext(ctx), time.Second, changes(ctx, st))
		mux.Handle("/api/v1/alerts/", web.Authed(a, m.Logger, alert.NewHandler(src, hub, watcher.Reload, m.Logger).ServeHTTP))
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", *addr, err)
	}
	scheme := "http"
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Minute, // a 100 MB envelope over a slow link
		WriteTimeout:      10 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
	}
	if *tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(*tlsCert, *tlsKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("loading the TLS key pair: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
		scheme = "https"
	}

	url := fmt.Sprintf("%s://%s/", scheme, ln.Addr())
	fmt.Fprintf(m.Stdout, "Dragnet is serving on %s (TAXII 2.1 discovery: %staxii2/)\n", url, url)
	if created {
		fmt.Fprintf(m.Stdout, "Created the operator organisation %q. Its admin token, shown only this once:\n%s\n", op.Name, secret)
	}
	if m.listening != nil {
		m.listening(ln.Addr())
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdown)
	// Envelopes accepted before the shutdown are stored before the store
	// closes; what cannot be stored in time stays pending in its status.
	if cerr := tx.Close(shutdown); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// loadWarninglists loads the warninglists whose values never match and
// count as popular in correlation: dir, or DATA/warninglists when dir is
// empty and that folder exists; nil when there are none.
func (m *Main) loadWarninglists(dir, data string) (*warninglist.Set, error) {
	if dir == "" && data != "" {
		if fi, err := os.Stat(filepath.Join(data, "warninglists")); err == nil && fi.IsDir() {
			dir = filepath.Join(data, "warninglists")
		}
	}
	if dir == "" {
		return nil, nil
	}
	set, err := warninglist.Load(dir)
	if err != nil {
		return nil, dragnet.Errorf(dragnet.EINVALID, "--warninglists: %v", err)
	}
	return set, nil
}

// changes subscribes to the store's change notices where it sends them
// (each caller gets a channel of its own); nil otherwise, and the caller
// then polls only.
func changes(ctx context.Context, st dragnet.Store) <-chan dragnet.Change {
	if n, ok := st.(dragnet.ChangeNotifier); ok {
		return n.Changes(ctx)
	}
	return nil
}
