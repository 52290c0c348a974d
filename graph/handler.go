package graph

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/web"
)

// Handler serves the graph's JSON API. Mount it under /api/v1/ behind the
// authentication that puts the caller's principal in the request context;
// every answer is computed through the caller's Access.
//
//	GET graph/neighbourhood/{id...}?depth=&types=a,b&since=&until=&limit=&provenance=
//	GET graph/path?from=ID&to=ID&max=N
//	GET graph/trace?from=ID&from=ADDRESS...&limit=N
//	GET graph/clusters?min=N
//	GET correlate/{key...}          (a value "kind:value", an address, or a STIX id)
//	GET correlate?since=TIME        (cross-border correlations since TIME)
type Handler struct {
	graph       func() *Graph
	correlateFn func(a *dragnet.Access, key string) (*Correlation, error) // nil: the graph's
	access      func(context.Context) (*dragnet.Access, error)
	log         *slog.Logger
	mux         *http.ServeMux
}

// NewHandler returns the API over the graph current returns (nil while
// none is loaded: 503) and the access computed for each request's
// principal (typically the store's Access method).
func NewHandler(current func() *Graph, access func(context.Context) (*dragnet.Access, error), log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{graph: current, access: access, log: log, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /api/v1/graph/neighbourhood/{id...}", h.with(h.neighbourhood))
	h.mux.HandleFunc("GET /api/v1/graph/path", h.with(h.path))
	h.mux.HandleFunc("GET /api/v1/graph/trace", h.with(h.trace))
	h.mux.HandleFunc("GET /api/v1/graph/clusters", h.with(h.clusters))
	h.mux.HandleFunc("GET /api/v1/correlate/{key...}", h.with(h.correlate))
	h.mux.HandleFunc("GET /api/v1/correlate", h.with(h.crossBorder))
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// WithCorrelate makes GET correlate/{key} answer through fn (Live.Correlate,
// which sees submissions made since the last build) instead of the graph
// alone, and returns h.
func (h *Handler) WithCorrelate(fn func(a *dragnet.Access, key string) (*Correlation, error)) *Handler {
	h.correlateFn = fn
	return h
}

type graphHandler func(w http.ResponseWriter, r *http.Request, g *Graph, a *dragnet.Access) error

// with resolves the graph and the caller's Access, then runs fn; errors
// are answered through web.Error (one status table, no internal detail).
func (h *Handler) with(fn graphHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := func() error {
			a, err := h.access(r.Context())
			if err != nil {
				return err
			}
			g := h.graph()
			if g == nil {
				w.Header().Set("Retry-After", "5")
				web.JSON(w, http.StatusServiceUnavailable, web.ErrorBody{Error: "the graph is being built", Code: "unavailable"})
				return nil
			}
			return fn(w, r, g, a)
		}()
		if err != nil {
			web.Error(w, r, h.log, err)
		}
	}
}

func (h *Handler) neighbourhood(w http.ResponseWriter, r *http.Request, g *Graph, a *dragnet.Access) error {
	q, err := ParseNeighbourhoodQuery(r.URL.Query())
	if err != nil {
		return err
	}
	sg, err := g.Neighbourhood(a, g.ParseStart(r.PathValue("id")), q)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, sg)
	return nil
}

func (h *Handler) path(w http.ResponseWriter, r *http.Request, g *Graph, a *dragnet.Access) error {
	v := r.URL.Query()
	maxHops, err := intParam(v, "max", 8, 1, 12)
	if err != nil {
		return err
	}
	from, to := v.Get("from"), v.Get("to")
	if from == "" || to == "" {
		return dragnet.Errorf(dragnet.EINVALID, "from and to are required")
	}
	p, err := g.Path(a, g.ParseStart(from), g.ParseStart(to), maxHops)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, map[string]any{"from": from, "to": to, "path": p})
	return nil
}

func (h *Handler) trace(w http.ResponseWriter, r *http.Request, g *Graph, a *dragnet.Access) error {
	v := r.URL.Query()
	limit, err := intParam(v, "limit", 5, 1, 100)
	if err != nil {
		return err
	}
	from := v["from"]
	if len(from) == 0 || len(from) > 1000 {
		return dragnet.Errorf(dragnet.EINVALID, "from: give 1 to 1000 starting points")
	}
	cs, err := g.Trace(a, from, TraceOptions{Limit: limit})
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, map[string]any{"from": from, "candidates": cs})
	return nil
}

func (h *Handler) clusters(w http.ResponseWriter, r *http.Request, g *Graph, a *dragnet.Access) error {
	minSize, err := intParam(r.URL.Query(), "min", 2, 1, 1<<30)
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, map[string]any{"clusters": g.Clusters(a, ClusterOptions{MinSize: minSize})})
	return nil
}

func (h *Handler) correlate(w http.ResponseWriter, r *http.Request, g *Graph, a *dragnet.Access) error {
	correlate := g.Correlate
	if h.correlateFn != nil {
		correlate = h.correlateFn
	}
	c, err := correlate(a, r.PathValue("key"))
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, c)
	return nil
}

func (h *Handler) crossBorder(w http.ResponseWriter, r *http.Request, g *Graph, a *dragnet.Access) error {
	since, err := timeParam(r.URL.Query(), "since")
	if err != nil {
		return err
	}
	web.JSON(w, http.StatusOK, map[string]any{"since": since, "events": g.CrossBorder(a, since)})
	return nil
}

// ParseNeighbourhoodQuery reads a neighbourhood query from URL parameters:
// depth (1..6), types (comma-separated STIX types), since and until (RFC
// 3339), limit (1..100000) and provenance (true/false). Errors are
// EINVALID and name the parameter.
func ParseNeighbourhoodQuery(v url.Values) (NeighbourhoodQuery, error) {
	var q NeighbourhoodQuery
	var err error
	if q.Depth, err = intParam(v, "depth", 1, 1, 6); err != nil {
		return q, err
	}
	if q.Limit, err = intParam(v, "limit", 1000, 1, 100_000); err != nil {
		return q, err
	}
	if t := v.Get("types"); t != "" {
		for _, s := range strings.Split(t, ",") {
			s = strings.TrimSpace(s)
			if s == "" || len(s) > 250 {
				return q, dragnet.Errorf(dragnet.EINVALID, "types: %q is not a STIX type name", s)
			}
			q.Types = append(q.Types, s)
		}
	}
	if q.Since, err = timeParam(v, "since"); err != nil {
		return q, err
	}
	if q.Until, err = timeParam(v, "until"); err != nil {
		return q, err
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && q.Until.Before(q.Since) {
		return q, dragnet.Errorf(dragnet.EINVALID, "until (%s) is before since (%s)", v.Get("until"), v.Get("since"))
	}
	if p := v.Get("provenance"); p != "" {
		if q.Provenance, err = strconv.ParseBool(p); err != nil {
			return q, dragnet.Errorf(dragnet.EINVALID, "provenance: %q is not true or false", p)
		}
	}
	return q, nil
}

func intParam(v url.Values, name string, def, lo, hi int) (int, error) {
	s := v.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, dragnet.Errorf(dragnet.EINVALID, "%s: %q is not a whole number from %d to %d", name, s, lo, hi)
	}
	return n, nil
}

func timeParam(v url.Values, name string) (time.Time, error) {
	s := v.Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, dragnet.Errorf(dragnet.EINVALID, "%s: %q is not an RFC 3339 time (2026-01-02T15:04:05Z)", name, s)
	}
	return t.UTC(), nil
}
