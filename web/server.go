package web

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/auth"
)

// API serves the JSON API under /api/v1/.
type API struct {
	store dragnet.Store
	auth  *auth.Authenticator
	log   *slog.Logger
	mux   *http.ServeMux
}

// NewAPI returns the JSON API handler. Other packages' handlers (match,
// export, graph) are mounted beside it by the serve command.
func NewAPI(store dragnet.Store, a *auth.Authenticator, log *slog.Logger) *API {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	api := &API{store: store, auth: a, log: log, mux: http.NewServeMux()}
	api.mux.HandleFunc("GET /api/v1/whoami", api.authed(api.whoami))
	api.mux.HandleFunc("GET /api/v1/collections", api.authed(api.collections))
	api.mux.HandleFunc("GET /api/v1/values/{kind}/{value...}", api.authed(api.valueRefs))
	api.mux.HandleFunc("GET /api/v1/audit", api.authed(api.audit))
	api.mux.HandleFunc("GET /api/v1/orgs", api.authed(api.listOrgs))
	api.mux.HandleFunc("POST /api/v1/orgs", api.authed(api.createOrg))
	api.mux.HandleFunc("GET /api/v1/groups", api.authed(api.listGroups))
	api.mux.HandleFunc("POST /api/v1/groups", api.authed(api.createGroup))
	api.mux.HandleFunc("PATCH /api/v1/groups/{name}/members", api.authed(api.changeMembers))
	api.mux.HandleFunc("GET /api/v1/tokens", api.authed(api.listTokens))
	api.mux.HandleFunc("POST /api/v1/tokens", api.authed(api.createToken))
	api.mux.HandleFunc("DELETE /api/v1/tokens/{id}", api.authed(api.revokeToken))
	api.mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		Error(w, r, log, dragnet.Errorf(dragnet.ENOTFOUND, "no API endpoint %s %s", r.Method, r.URL.Path))
	})
	return api
}

func (api *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { api.mux.ServeHTTP(w, r) }

// Authed wraps h so that it runs with the authenticated principal in its
// request context, and answers authentication errors itself.
func Authed(a *auth.Authenticator, log *slog.Logger, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Principal(r)
		if err != nil {
			Error(w, r, log, err)
			return
		}
		h(w, r.WithContext(dragnet.WithPrincipal(r.Context(), p)))
	}
}

func (api *API) authed(h http.HandlerFunc) http.HandlerFunc { return Authed(api.auth, api.log, h) }

func (api *API) whoami(w http.ResponseWriter, r *http.Request) {
	p, _ := dragnet.PrincipalFrom(r.Context())
	JSON(w, http.StatusOK, map[string]any{
		"organisation": p.Org.Name,
		"country":      p.Org.Country,
		"kind":         p.Org.Kind,
		"identity":     p.Org.Identity,
		"role":         p.Role,
		"operator":     p.IsOperator(),
	})
}

type collectionJSON struct {
	ID         string `json:"id"`
	Title      string `json:"title"`
	Kind       string `json:"audience"`
	DefaultTLP string `json:"default_tlp"`
	CanRead    bool   `json:"can_read"`
	CanWrite   bool   `json:"can_write"`
}

func (api *API) collections(w http.ResponseWriter, r *http.Request) {
	cs, err := api.store.Collections(r.Context())
	if err != nil {
		Error(w, r, api.log, err)
		return
	}
	out := make([]collectionJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, collectionJSON{c.CollectionID, c.Title, string(c.Kind), c.DefaultTLP.String(), c.CanRead, c.CanWrite})
	}
	JSON(w, http.StatusOK, map[string]any{"collections": out})
}

type valueRefJSON struct {
	ObjectID  string    `json:"object_id"`
	Type      string    `json:"type"`
	Version   time.Time `json:"version"`
	TLP       string    `json:"tlp"`
	Audience  int64     `json:"audience"`
	OrgID     int64     `json:"org_id"`
	DateAdded time.Time `json:"date_added"`
}

// valueRefs answers which visible objects carry a value:
// GET /api/v1/values/ipv4/198.51.100.7.
func (api *API) valueRefs(w http.ResponseWriter, r *http.Request) {
	v, err := dragnet.NormalizeValue(dragnet.ValueKind(r.PathValue("kind")), r.PathValue("value"))
	if err != nil {
		Error(w, r, api.log, err)
		return
	}
	refs, err := api.store.ValueRefs(r.Context(), v)
	if err != nil {
		Error(w, r, api.log, err)
		return
	}
	out := make([]valueRefJSON, 0, len(refs))
	for _, ref := range refs {
		out = append(out, valueRefJSON{ref.ObjectID, ref.Type, ref.Version, ref.TLP.String(), ref.AudienceID, ref.OrgID, ref.DateAdded})
	}
	JSON(w, http.StatusOK, map[string]any{"value": v.Value, "kind": v.Kind, "refs": out})
}

// audit answers the audit log: the operator sees all of it, an
// organisation admin its own organisation's (?org= is ignored for them).
func (api *API) audit(w http.ResponseWriter, r *http.Request) {
	p, _ := dragnet.PrincipalFrom(r.Context())
	f := dragnet.AuditFilter{Limit: 1000}
	if !p.IsOperator() && p.Org != nil {
		f.OrgID = p.Org.ID
	}
	if s := r.URL.Query().Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			Error(w, r, api.log, dragnet.Errorf(dragnet.EINVALID, "since: %q is not an RFC 3339 timestamp", s))
			return
		}
		f.Since = t
	}
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10000 {
			Error(w, r, api.log, dragnet.Errorf(dragnet.EINVALID, "limit: %q is not a number from 1 to 10000", s))
			return
		}
		f.Limit = n
	}
	if o := strings.TrimSpace(r.URL.Query().Get("org")); o != "" && p.IsOperator() {
		org, err := api.store.FindOrg(r.Context(), o)
		if err != nil {
			Error(w, r, api.log, err)
			return
		}
		f.OrgID = org.ID
	}
	evs, err := api.store.AuditEvents(r.Context(), f)
	if err != nil {
		Error(w, r, api.log, err)
		return
	}
	if evs == nil {
		evs = []*dragnet.AuditEvent{}
	}
	JSON(w, http.StatusOK, map[string]any{"events": evs})
}

// Health answers GET /healthz with 200 once the store answers.
func Health(store dragnet.Store) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if _, err := store.FindOrg(dragnet.SystemContext(ctx), "operator"); dragnet.ErrorCode(err) == dragnet.EINTERNAL {
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	}
}
