package export

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/auth"
	"github.com/dragnet-intel/dragnet/web"
)

// NewHandler returns the export endpoint for sensors, to be mounted at
// /api/v1/export:
//
//	GET /api/v1/export?format=suricata|zeek|plain|csv|stix|misp
//	    [&type=ip,domain,...] [&since=RFC3339 time or Go duration like 24h]
//	    [&tlp_max=green] [&share=true]
//
// It authenticates as every API endpoint does (HTTP Basic or Bearer
// token), exports what the token's organisation may see, audits each
// export, and answers errors in the API's JSON error form.
func NewHandler(store dragnet.Store, a *auth.Authenticator, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return web.Authed(a, log, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			web.Error(w, r, log, dragnet.Errorf(dragnet.EUNSUPPORTED, "method %s not allowed; use GET", r.Method))
			return
		}
		q := r.URL.Query()
		o, err := ParseOptions(q.Get("format"), q.Get("type"), q.Get("since"), q.Get("tlp_max"), q.Get("share") == "true" || q.Get("share") == "1", time.Now())
		if err != nil {
			web.Error(w, r, log, err)
			return
		}
		var buf bytes.Buffer
		st, err := Export(r.Context(), store, &buf, o)
		p, _ := dragnet.PrincipalFrom(r.Context())
		ev := &dragnet.AuditEvent{Time: time.Now(), TokenID: p.TokenID, Remote: p.Remote, Action: "export", Target: o.Format, Outcome: "ok"}
		if p.Org != nil {
			ev.OrgID, ev.OrgName = p.Org.ID, p.Org.Name
		}
		if err != nil {
			ev.Outcome, ev.Detail = "error", dragnet.ErrorMessage(err)
			_ = store.Audit(r.Context(), ev)
			web.Error(w, r, log, err)
			return
		}
		ev.Detail = fmt.Sprintf("%d written, %d left out; tlp_max %s, share %v", st.Objects, st.Skipped, o.TLPMax, o.Share)
		if err := store.Audit(r.Context(), ev); err != nil {
			web.Error(w, r, log, err)
			return
		}
		w.Header().Set("Content-Type", ContentType(o.Format))
		w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
		w.Header().Set("X-Dragnet-Exported", strconv.Itoa(st.Objects))
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			w.Write(buf.Bytes())
		}
	})
}

// ContentType is the media type of a format.
func ContentType(format string) string {
	switch format {
	case FormatSTIX:
		return "application/stix+json;version=2.1"
	case FormatMISP:
		return "application/json"
	case FormatCSV:
		return "text/csv; charset=utf-8"
	}
	return "text/plain; charset=utf-8"
}

// ParseOptions reads export options as the CLI and the endpoint take them:
// since is an RFC 3339 time or a duration back from now ("24h"); tlpMax a
// TLP level or "".
func ParseOptions(format, types, since, tlpMax string, share bool, now time.Time) (Options, error) {
	o := Options{Format: format, Share: share, Now: now}
	if format == "" {
		return o, dragnet.Errorf(dragnet.EINVALID, "format is required: one of %s", strings.Join(Formats, ", "))
	}
	for _, t := range strings.Split(types, ",") {
		if t = strings.TrimSpace(t); t != "" {
			o.Types = append(o.Types, t)
		}
	}
	if since != "" {
		if d, err := time.ParseDuration(since); err == nil {
			o.Since = now.Add(-d)
		} else if t, err := time.Parse(time.RFC3339Nano, since); err == nil {
			o.Since = t
		} else if t, err := time.Parse("2006-01-02", since); err == nil {
			o.Since = t
		} else {
			return o, dragnet.Errorf(dragnet.EINVALID, "since %q is neither a time (RFC 3339 or YYYY-MM-DD) nor a duration (24h)", since)
		}
	}
	if tlpMax != "" {
		l, err := dragnet.ParseTLP(tlpMax)
		if err != nil {
			return o, err
		}
		o.TLPMax = l
	}
	if _, err := o.ceiling(); err != nil {
		return o, err
	}
	return o, nil
}
