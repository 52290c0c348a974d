package match

import (
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/auth"
	"github.com/dragnet-intel/dragnet/web"
)

// MaxBatchBytes bounds the body of a batch match request.
const MaxBatchBytes = 32 << 20

// NewHandler serves matching over HTTP for authenticated members:
//
//	POST /api/v1/match          a batch: the body is telemetry in ?format=
//	                            (plain, jsonl, zeek, csv; default plain) with
//	                            ?fields=a,b for jsonl and csv, and
//	                            ?time_field=name for the member or column
//	                            holding each event's time (StreamOptions);
//	                            the answer is
//	                            {"results":[Result…],"stats":Stats}.
//	                            A JSON Content-Type without ?format= is
//	                            refused: the body is telemetry, not a
//	                            request document.
//	POST /api/v1/match/stream   the same input read as it arrives (NDJSON or
//	                            lines), answered as NDJSON, one Result per
//	                            line, flushed as each is found.
//
// Every lookup applies the caller's Access, computed by the store for the
// principal. Each request is audited with its counts.
func NewHandler(lk Looker, store dragnet.Store, a *auth.Authenticator, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &handler{lk: lk, store: store, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/match", web.Authed(a, log, h.batch))
	mux.HandleFunc("POST /api/v1/match/stream", web.Authed(a, log, h.stream))
	mux.HandleFunc("/api/v1/match/", func(w http.ResponseWriter, r *http.Request) {
		web.Error(w, r, log, dragnet.Errorf(dragnet.ENOTFOUND, "no API endpoint %s %s; use POST /api/v1/match or /api/v1/match/stream", r.Method, r.URL.Path))
	})
	mux.HandleFunc("/api/v1/match", func(w http.ResponseWriter, r *http.Request) {
		web.Error(w, r, log, dragnet.Errorf(dragnet.EUNSUPPORTED, "method %s not allowed; use POST", r.Method))
	})
	return mux
}

type handler struct {
	lk    Looker
	store dragnet.Store
	log   *slog.Logger
}

// request reads the caller's Access and the format parameters.
func (h *handler) request(r *http.Request) (*dragnet.Access, StreamOptions, error) {
	opt := StreamOptions{Format: FormatPlain, TimeField: strings.TrimSpace(r.URL.Query().Get("time_field"))}
	if s := r.URL.Query().Get("format"); s != "" {
		var err error
		if opt.Format, err = ParseFormat(s); err != nil {
			return nil, opt, err
		}
	} else if jsonBody(r) {
		// Read as plain values, a JSON body would find none and answer
		// with no hits, as if nothing matched.
		return nil, opt, dragnet.Errorf(dragnet.EINVALID, "the body is %s but no ?format= is given: the body is telemetry, not a request document; send JSON lines with ?format=jsonl&fields=NAME,… (or ?format=zeek), or values one per line", r.Header.Get("Content-Type"))
	}
	for _, s := range strings.Split(r.URL.Query().Get("fields"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			opt.Fields = append(opt.Fields, s)
		}
	}
	acc, err := h.store.Access(r.Context())
	return acc, opt, err
}

// jsonBody reports whether the request says its body is JSON.
func jsonBody(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return false
	}
	switch mt {
	case "application/json", "application/x-ndjson", "application/jsonl", "application/json-seq":
		return true
	}
	return false
}

func (h *handler) audit(r *http.Request, st Stats, err error) {
	p, _ := dragnet.PrincipalFrom(r.Context())
	ev := &dragnet.AuditEvent{Time: time.Now(), TokenID: p.TokenID, Remote: p.Remote, Action: "match", Target: r.URL.Path, Outcome: "ok"}
	if p.Org != nil {
		ev.OrgID, ev.OrgName = p.Org.ID, p.Org.Name
	}
	ev.Detail = "lines " + itoa(st.Lines) + ", values " + itoa(st.Values) + ", hits " + itoa(st.Hits)
	if err != nil {
		ev.Outcome, ev.Detail = "error", dragnet.ErrorMessage(err)
	}
	if aerr := h.store.Audit(r.Context(), ev); aerr != nil {
		h.log.Error("match: audit failed", "err", aerr)
	}
}

func itoa(n int) string { return string(appendInt(nil, n)) }

func appendInt(b []byte, n int) []byte {
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(b, d[i:]...)
}

type batchAnswer struct {
	Results []Result `json:"results"`
	Stats   Stats    `json:"stats"`
}

func (h *handler) batch(w http.ResponseWriter, r *http.Request) {
	acc, opt, err := h.request(r)
	if err != nil {
		web.Error(w, r, h.log, err)
		return
	}
	body := http.MaxBytesReader(w, r.Body, MaxBatchBytes)
	ans := batchAnswer{Results: []Result{}}
	ans.Stats, err = StreamWith(h.lk, acc, body, opt, io.Discard, func(res Result) error {
		ans.Results = append(ans.Results, res)
		return nil
	})
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		err = dragnet.Errorf(dragnet.ETOOLARGE, "request body is larger than %d bytes", MaxBatchBytes)
	}
	h.audit(r, ans.Stats, err)
	if err != nil {
		web.Error(w, r, h.log, err)
		return
	}
	web.JSON(w, http.StatusOK, ans)
}

// flushWriter is the response as a Flusher, so that each result of a
// stream leaves at once.
type flushWriter struct {
	w  io.Writer
	rc *http.ResponseController
}

func (f flushWriter) Write(p []byte) (int, error) { return f.w.Write(p) }
func (f flushWriter) Flush() error                { return f.rc.Flush() }

func (h *handler) stream(w http.ResponseWriter, r *http.Request) {
	acc, opt, err := h.request(r)
	if err != nil {
		web.Error(w, r, h.log, err)
		return
	}
	rc := http.NewResponseController(w)
	// Read the request while answering it (HTTP/1.1 full duplex).
	_ = rc.EnableFullDuplex()
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	st, err := StreamWith(h.lk, acc, r.Body, opt, flushWriter{w: w, rc: rc}, nil)
	h.audit(r, st, err)
	if err != nil {
		// The status is sent; the error goes as a last NDJSON line.
		msg := dragnet.ErrorMessage(err)
		if dragnet.ErrorCode(err) == dragnet.EINTERNAL {
			h.log.Error("match stream failed", "err", err)
		}
		var b []byte
		b = append(b, `{"error":`...)
		b = appendJSONString(b, msg)
		b = append(b, `,"code":`...)
		b = appendJSONString(b, dragnet.ErrorCode(err))
		b = append(b, "}\n"...)
		w.Write(b)
	}
}
