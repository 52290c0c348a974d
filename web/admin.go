package web

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// AuditAdmin records a refused or failed administrative action by the
// principal in ctx. Stores record the actions that succeed, in the same
// transaction; what they refuse rolls back, so the caller records it here.
func AuditAdmin(r *http.Request, store dragnet.Store, action, target string, err error) error {
	if err == nil {
		return nil
	}
	p, _ := dragnet.PrincipalFrom(r.Context())
	e := &dragnet.AuditEvent{Action: action, Target: target, Outcome: "ok", Remote: p.Remote, TokenID: p.TokenID}
	if p.Org != nil {
		e.OrgID, e.OrgName = p.Org.ID, p.Org.Name
	}
	switch code := dragnet.ErrorCode(err); code {
	case "":
	case dragnet.EFORBIDDEN, dragnet.EUNAUTHORIZED:
		e.Outcome, e.Detail = "denied", dragnet.ErrorMessage(err)
	default:
		e.Outcome, e.Detail = "error", dragnet.ErrorMessage(err)
	}
	return store.Audit(r.Context(), e)
}

// decodeBody reads a small JSON request body into v, refusing unknown
// fields and bodies over 64 KiB.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return dragnet.Errorf(dragnet.EINVALID, "request body: %v", err)
	}
	return nil
}

// admin runs an administrative action, audits it and answers.
func (api *API) admin(w http.ResponseWriter, r *http.Request, action, target string, status int, do func() (any, error)) {
	v, err := do()
	if aerr := AuditAdmin(r, api.store, action, target, err); aerr != nil {
		api.log.Error("auditing admin action", "action", action, "err", aerr)
	}
	if err != nil {
		Error(w, r, api.log, err)
		return
	}
	JSON(w, status, v)
}

type orgRequest struct {
	Name    string `json:"name"`
	Country string `json:"country"`
	Kind    string `json:"kind"`
}

// createOrg: POST /api/v1/orgs (operator only).
func (api *API) createOrg(w http.ResponseWriter, r *http.Request) {
	var req orgRequest
	if err := decodeBody(r, &req); err != nil {
		Error(w, r, api.log, err)
		return
	}
	api.admin(w, r, "org.create", req.Name, http.StatusCreated, func() (any, error) {
		o := &dragnet.Org{Name: req.Name, Country: req.Country, Kind: dragnet.OrgKind(req.Kind)}
		if err := api.store.CreateOrg(r.Context(), o); err != nil {
			return nil, err
		}
		return OrgJSON(o), nil
	})
}

func (api *API) listOrgs(w http.ResponseWriter, r *http.Request) {
	orgs, err := api.store.ListOrgs(r.Context())
	if err != nil {
		Error(w, r, api.log, err)
		return
	}
	out := make([]map[string]any, 0, len(orgs))
	for _, o := range orgs {
		out = append(out, OrgJSON(o))
	}
	JSON(w, http.StatusOK, map[string]any{"orgs": out})
}

// OrgJSON is the JSON form of an organisation in the API and the CLI.
func OrgJSON(o *dragnet.Org) map[string]any {
	return map[string]any{
		"name": o.Name, "country": o.Country, "kind": o.Kind,
		"identity": o.Identity, "operator": o.Operator, "created": o.Created,
	}
}

// GroupJSON is the JSON form of a sharing group in the API and the CLI.
func GroupJSON(g *dragnet.Group) map[string]any {
	orgs, groups := g.Orgs, g.Groups
	if orgs == nil {
		orgs = []string{}
	}
	if groups == nil {
		groups = []string{}
	}
	return map[string]any{"name": g.Name, "orgs": orgs, "groups": groups, "created": g.Created}
}

type groupRequest struct {
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

// createGroup: POST /api/v1/groups (operator only).
func (api *API) createGroup(w http.ResponseWriter, r *http.Request) {
	var req groupRequest
	if err := decodeBody(r, &req); err != nil {
		Error(w, r, api.log, err)
		return
	}
	api.admin(w, r, "group.create", req.Name, http.StatusCreated, func() (any, error) {
		g, err := api.store.CreateGroup(r.Context(), req.Name, req.Members)
		if err != nil {
			return nil, err
		}
		return GroupJSON(g), nil
	})
}

func (api *API) listGroups(w http.ResponseWriter, r *http.Request) {
	gs, err := api.store.ListGroups(r.Context())
	if err != nil {
		Error(w, r, api.log, err)
		return
	}
	out := make([]map[string]any, 0, len(gs))
	for _, g := range gs {
		out = append(out, GroupJSON(g))
	}
	JSON(w, http.StatusOK, map[string]any{"groups": out})
}

type membersRequest struct {
	Add    []string `json:"add"`
	Remove []string `json:"remove"`
}

// changeMembers: PATCH /api/v1/groups/{name}/members (operator only).
func (api *API) changeMembers(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var req membersRequest
	if err := decodeBody(r, &req); err != nil {
		Error(w, r, api.log, err)
		return
	}
	api.admin(w, r, "group.members", name, http.StatusOK, func() (any, error) {
		if len(req.Add) > 0 {
			if err := api.store.AddGroupMembers(r.Context(), name, req.Add); err != nil {
				return nil, err
			}
		}
		if len(req.Remove) > 0 {
			if err := api.store.RemoveGroupMembers(r.Context(), name, req.Remove); err != nil {
				return nil, err
			}
		}
		g, err := api.store.FindGroup(r.Context(), name)
		if err != nil {
			return nil, err
		}
		return GroupJSON(g), nil
	})
}

type tokenRequest struct {
	Org     string    `json:"org"`
	Role    string    `json:"role"`
	Label   string    `json:"label"`
	Expires time.Time `json:"expires"`
}

// createToken: POST /api/v1/tokens — the operator for any organisation, an
// organisation admin for its own (org defaults to the caller's). The
// secret is in the answer and nowhere else.
func (api *API) createToken(w http.ResponseWriter, r *http.Request) {
	var req tokenRequest
	if err := decodeBody(r, &req); err != nil {
		Error(w, r, api.log, err)
		return
	}
	p, _ := dragnet.PrincipalFrom(r.Context())
	if req.Org == "" {
		req.Org = p.Org.Name
	}
	api.admin(w, r, "token.create", req.Org, http.StatusCreated, func() (any, error) {
		role, err := dragnet.ParseRole(req.Role)
		if err != nil {
			return nil, err
		}
		if !req.Expires.IsZero() && !req.Expires.After(time.Now()) {
			return nil, dragnet.Errorf(dragnet.EINVALID, "expires: %s is not in the future", req.Expires.Format(time.RFC3339))
		}
		secret, t, err := api.store.CreateToken(r.Context(), req.Org, role, req.Label, req.Expires)
		if err != nil {
			return nil, err
		}
		v := TokenJSON(t, time.Now())
		v["token"] = secret
		return v, nil
	})
}

// TokenJSON is the JSON form of a token (never its secret or hash).
func TokenJSON(t *dragnet.Token, now time.Time) map[string]any {
	v := map[string]any{"id": t.ID, "org": t.OrgName, "role": t.Role, "label": t.Label,
		"created": t.Created, "active": t.Active(now)}
	if !t.Expires.IsZero() {
		v["expires"] = t.Expires
	}
	if !t.Revoked.IsZero() {
		v["revoked"] = t.Revoked
	}
	if !t.LastUsed.IsZero() {
		v["last_used"] = t.LastUsed
	}
	return v
}

// listTokens: GET /api/v1/tokens?org=NAME (default: the caller's).
func (api *API) listTokens(w http.ResponseWriter, r *http.Request) {
	p, _ := dragnet.PrincipalFrom(r.Context())
	org := r.URL.Query().Get("org")
	if org == "" {
		org = p.Org.Name
	}
	if !p.IsOperator() && (p.Role != dragnet.RoleAdmin || org != p.Org.Name) {
		Error(w, r, api.log, dragnet.Errorf(dragnet.EFORBIDDEN, "only the operator or an admin of %q may list its tokens", org))
		return
	}
	ts, err := api.store.ListTokens(r.Context(), org)
	if err != nil {
		Error(w, r, api.log, err)
		return
	}
	now := time.Now()
	out := make([]map[string]any, 0, len(ts))
	for _, t := range ts {
		out = append(out, TokenJSON(t, now))
	}
	JSON(w, http.StatusOK, map[string]any{"tokens": out})
}

// revokeToken: DELETE /api/v1/tokens/{id}.
func (api *API) revokeToken(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		Error(w, r, api.log, dragnet.Errorf(dragnet.EINVALID, "token id %q is not a number", r.PathValue("id")))
		return
	}
	api.admin(w, r, "token.revoke", r.PathValue("id"), http.StatusOK, func() (any, error) {
		if err := api.store.RevokeToken(r.Context(), id); err != nil {
			return nil, err
		}
		return map[string]any{"id": id, "revoked": true}, nil
	})
}
