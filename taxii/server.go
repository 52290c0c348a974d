package taxii

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// Authenticator resolves the caller of a request. *auth.Authenticator
// implements it: HTTP Basic (user = organisation name, password = token)
// and Bearer tokens. Errors carry EUNAUTHORIZED (answered 401 with
// WWW-Authenticate) or ERATELIMIT (429).
type Authenticator interface {
	Principal(r *http.Request) (dragnet.Principal, error)
}

// Config configures a Server. Zero values take the defaults shown.
type Config struct {
	Logger      *slog.Logger // default: discard
	Title       string       // discovery and API root title; default "Dragnet"
	Description string
	Contact     string
	// BaseURL, when set (e.g. "https://hub.example.org"), is the prefix of
	// the URLs in the discovery resource; by default they are built from
	// the request's Host.
	BaseURL string
	// MaxContentLength is the largest request body accepted, advertised as
	// the API root's max_content_length; larger requests get 413. Default
	// 100 MiB.
	MaxContentLength int64
	// RequestTimeout bounds each request's work; a request that exceeds it
	// gets 503. Default 60 s. For a POST it bounds the wait for a turn and
	// the work after the body is read, not the reading itself (that is the
	// http.Server's ReadTimeout), and storing a posted envelope continues
	// after the 202 answer, unbound by it.
	RequestTimeout time.Duration
	PageLimit      int // objects per page when the client gives no limit; default 1000
	MaxPageLimit   int // largest limit honoured; default 10000
	// BatchSize is how many objects of a posted envelope are stored per
	// store transaction. Default 1000.
	BatchSize int
	// MaxIngests bounds how many posted envelopes are read and stored at
	// once; further POSTs wait (up to RequestTimeout) for a turn, so memory
	// stays bounded by MaxIngests × MaxContentLength × about 2. Default 2.
	MaxIngests int
	Now        func() time.Time // default time.Now
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Title == "" {
		c.Title = "Dragnet"
	}
	if c.MaxContentLength <= 0 {
		c.MaxContentLength = 100 << 20
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 60 * time.Second
	}
	if c.PageLimit <= 0 {
		c.PageLimit = 1000
	}
	if c.MaxPageLimit <= 0 {
		c.MaxPageLimit = 10000
	}
	c.PageLimit = min(c.PageLimit, c.MaxPageLimit)
	if c.BatchSize <= 0 {
		c.BatchSize = 1000
	}
	if c.MaxIngests <= 0 {
		c.MaxIngests = 2
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Paths of the server: discovery, and the one API root below it.
const (
	DiscoveryPath = "/taxii2/"
	APIRootPath   = "/taxii2/api/"
)

// Server is the TAXII 2.1 server. It serves every path under /taxii2/;
// mount it with mux.Handle(taxii.DiscoveryPath, srv).
type Server struct {
	store   dragnet.Store
	auth    Authenticator
	cfg     Config
	log     *slog.Logger
	ingests chan struct{} // semaphore of envelope ingests

	mu     sync.Mutex
	closed bool
	jobs   sync.WaitGroup
	base   context.Context // parent of background storing
	cancel context.CancelFunc
}

// NewServer returns a TAXII 2.1 server on store, authenticating callers
// with auth.
func NewServer(store dragnet.Store, auth Authenticator, cfg Config) *Server {
	cfg.setDefaults()
	base, cancel := context.WithCancel(context.Background())
	return &Server{
		store:   store,
		auth:    auth,
		cfg:     cfg,
		log:     cfg.Logger,
		ingests: make(chan struct{}, cfg.MaxIngests),
		base:    base,
		cancel:  cancel,
	}
}

// Close refuses further POSTs and waits until every accepted envelope is
// stored (its status complete), or ctx ends, in which case storing is
// cancelled and what was not yet stored stays pending.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.jobs.Wait(); close(done) }()
	select {
	case <-done:
		s.cancel()
		return nil
	case <-ctx.Done():
		s.cancel()
		<-done
		return ctx.Err()
	}
}

// route is a matched request: the handler and the path parameters.
type route struct {
	collection string
	object     string
	status     string
}

// ServeHTTP authenticates the caller, negotiates the media type and
// dispatches to the endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		// A fault must not take the connection down without an answer, nor
		// show its details: log it and answer a TAXII error.
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.writeError(w, r, fmt.Errorf("panic serving %s %s: %v\n%s", r.Method, r.URL.Path, v, debug.Stack()))
		}
	}()
	p, err := s.auth.Principal(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !acceptable(r.Header.Values("Accept")) {
		s.writeErrorResource(w, http.StatusNotAcceptable, dragnet.EUNSUPPORTED,
			"the Accept header allows no media type this server serves; ask for "+MediaType, "")
		return
	}
	ctx := dragnet.WithPrincipal(r.Context(), p)
	if r.Method != http.MethodPost {
		// A POST's body may take long to arrive over a slow link (the
		// http.Server's ReadTimeout bounds that); postObjects bounds the
		// work before and after reading it.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.RequestTimeout)
		defer cancel()
	}
	r = r.WithContext(ctx)

	segs, ok := pathSegments(r.URL.Path)
	if !ok {
		s.notFound(w, r)
		return
	}
	var rt route
	var get, post, del func(http.ResponseWriter, *http.Request, route)
	switch {
	case len(segs) == 0:
		get = s.getDiscovery
	case segs[0] != "api":
		s.notFound(w, r)
		return
	case len(segs) == 1:
		get = s.getAPIRoot
	case len(segs) == 3 && segs[1] == "status":
		rt.status = segs[2]
		get = s.getStatus
	case segs[1] != "collections":
		s.notFound(w, r)
		return
	case len(segs) == 2:
		get = s.getCollections
	case len(segs) == 3:
		rt.collection = segs[2]
		get = s.getCollection
	case len(segs) == 4 && segs[3] == "objects":
		rt.collection = segs[2]
		get, post = s.getObjects, s.postObjects
	case len(segs) == 4 && segs[3] == "manifest":
		rt.collection = segs[2]
		get = s.getManifest
	case len(segs) == 5 && segs[3] == "objects":
		rt.collection, rt.object = segs[2], segs[4]
		get, del = s.getObject, s.deleteObject
	case len(segs) == 6 && segs[3] == "objects" && segs[5] == "versions":
		rt.collection, rt.object = segs[2], segs[4]
		get = s.getVersions
	default:
		s.notFound(w, r)
		return
	}
	var h func(http.ResponseWriter, *http.Request, route)
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h = get
	case http.MethodPost:
		h = post
	case http.MethodDelete:
		h = del
	}
	if h == nil {
		allow := []string{"GET", "HEAD"}
		if post != nil {
			allow = append(allow, "POST")
		}
		if del != nil {
			allow = append(allow, "DELETE")
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		s.writeErrorResource(w, http.StatusMethodNotAllowed, dragnet.EINVALID,
			"method "+r.Method+" is not allowed here; allowed: "+strings.Join(allow, ", "), "")
		return
	}
	h(w, r, rt)
}

// pathSegments splits a path below /taxii2/ into its segments. The
// trailing slash TAXII URLs end with is optional.
func pathSegments(path string) ([]string, bool) {
	rest, ok := strings.CutPrefix(path, "/taxii2")
	if !ok || (rest != "" && rest[0] != '/') {
		return nil, false
	}
	rest = strings.Trim(rest, "/")
	if rest == "" {
		return nil, true
	}
	segs := strings.Split(rest, "/")
	for _, s := range segs {
		if s == "" {
			return nil, false
		}
	}
	return segs, true
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.writeErrorResource(w, http.StatusNotFound, dragnet.ENOTFOUND, "no TAXII resource at "+r.URL.Path, "")
}
