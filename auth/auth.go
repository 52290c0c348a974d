// Package auth authenticates HTTP requests to the exchange: HTTP Basic (user
// = organisation name, password = token) and Bearer tokens, both resolved
// by the store, which keeps only token hashes and compares them in constant
// time. It also limits the request rate per token and the rate of failed
// attempts per client address, and audits refused access.
package auth

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// Options configure an Authenticator. Zero values take the defaults.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time

	// RequestsPerSecond and Burst bound each token's request rate
	// (default 200/s, burst 400).
	RequestsPerSecond float64
	Burst             int

	// FailuresPerMinute bounds failed authentications per client address
	// (default 30); further attempts are refused without asking the store.
	FailuresPerMinute int
}

// Authenticator resolves requests to principals.
type Authenticator struct {
	store  dragnet.Store
	log    *slog.Logger
	now    func() time.Time
	rate   float64
	burst  float64
	fail   float64
	mu     sync.Mutex
	tokens map[int64]*bucket
	addrs  map[string]*bucket
	sweep  time.Time
}

// New returns an Authenticator over store.
func New(store dragnet.Store, opts Options) *Authenticator {
	a := &Authenticator{
		store:  store,
		log:    opts.Logger,
		now:    opts.Now,
		rate:   opts.RequestsPerSecond,
		burst:  float64(opts.Burst),
		fail:   float64(opts.FailuresPerMinute),
		tokens: make(map[int64]*bucket),
		addrs:  make(map[string]*bucket),
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.rate <= 0 {
		a.rate = 200
	}
	if a.burst <= 0 {
		a.burst = 2 * a.rate
	}
	if a.fail <= 0 {
		a.fail = 30
	}
	return a
}

// Credentials returns the organisation name (empty for Bearer) and the
// secret presented by r, or ok=false when it presents none.
func Credentials(r *http.Request) (org, secret string, ok bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", "", false
	}
	if u, p, ok := r.BasicAuth(); ok {
		return u, p, p != ""
	}
	scheme, rest, found := strings.Cut(h, " ")
	if found && strings.EqualFold(scheme, "Bearer") {
		t := strings.TrimSpace(rest)
		return "", t, t != ""
	}
	return "", "", false
}

// Principal authenticates r and returns its principal with Remote set.
// Errors: EUNAUTHORIZED (missing or bad credentials; one message for every
// cause, so nothing tells a guesser which part was wrong), ERATELIMIT. Each
// refusal is audited.
func (a *Authenticator) Principal(r *http.Request) (dragnet.Principal, error) {
	ctx := r.Context()
	remote := ClientAddr(r)
	org, secret, ok := Credentials(r)
	if !ok {
		return dragnet.Principal{}, dragnet.Errorf(dragnet.EUNAUTHORIZED, "authentication required: use HTTP Basic (organisation name and token) or a Bearer token")
	}
	now := a.now()
	if !a.allowAttempt(remote, now) {
		a.audit(ctx, dragnet.Principal{Remote: remote}, r, "denied", "too many failed authentications")
		return dragnet.Principal{}, dragnet.Errorf(dragnet.ERATELIMIT, "too many failed authentications from this address; try again later")
	}
	p, err := a.store.Authenticate(ctx, org, secret)
	if err != nil {
		if dragnet.ErrorCode(err) != dragnet.EUNAUTHORIZED {
			a.log.Error("authenticating request", "err", err)
			return dragnet.Principal{}, err
		}
		a.recordFailure(remote, now)
		a.audit(ctx, dragnet.Principal{Remote: remote}, r, "denied", "invalid credentials for "+org)
		return dragnet.Principal{}, dragnet.Errorf(dragnet.EUNAUTHORIZED, "invalid credentials")
	}
	p.Remote = remote
	if !a.allowRequest(p.TokenID, now) {
		a.audit(ctx, p, r, "denied", "rate limit")
		return dragnet.Principal{}, dragnet.Errorf(dragnet.ERATELIMIT, "request rate limit of %.0f/s exceeded for this token", a.rate)
	}
	return p, nil
}

func (a *Authenticator) audit(ctx context.Context, p dragnet.Principal, r *http.Request, outcome, detail string) {
	e := &dragnet.AuditEvent{
		Time:    a.now(),
		TokenID: p.TokenID,
		Action:  "access.denied",
		Target:  r.Method + " " + r.URL.Path,
		Outcome: outcome,
		Remote:  p.Remote,
		Detail:  detail,
	}
	if p.Org != nil {
		e.OrgID, e.OrgName = p.Org.ID, p.Org.Name
	}
	if err := a.store.Audit(context.WithoutCancel(ctx), e); err != nil {
		a.log.Error("auditing refused access", "err", err)
	}
}

// ClientAddr returns the IP address of the direct peer of r. Forwarded
// headers are not trusted: a proxy in front must be configured to connect
// from its own address.
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// bucket is a token bucket.
type bucket struct {
	tokens float64
	last   time.Time
}

func (b *bucket) take(now time.Time, rate, burst float64) bool {
	if b.last.IsZero() {
		b.tokens = burst
	} else {
		b.tokens += now.Sub(b.last).Seconds() * rate
		if b.tokens > burst {
			b.tokens = burst
		}
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (a *Authenticator) allowRequest(token int64, now time.Time) bool {
	if token == 0 {
		return true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sweepLocked(now)
	b := a.tokens[token]
	if b == nil {
		b = &bucket{}
		a.tokens[token] = b
	}
	return b.take(now, a.rate, a.burst)
}

// allowAttempt reports whether remote may try to authenticate: it has
// failure budget left. It does not spend budget; recordFailure does.
func (a *Authenticator) allowAttempt(remote string, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.addrs[remote]
	if b == nil {
		return true
	}
	t := b.tokens + now.Sub(b.last).Seconds()*a.fail/60
	return t >= 1
}

func (a *Authenticator) recordFailure(remote string, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.addrs[remote]
	if b == nil {
		b = &bucket{}
		a.addrs[remote] = b
	}
	b.take(now, a.fail/60, a.fail)
}

// sweepLocked drops idle buckets once a minute so the maps stay small.
func (a *Authenticator) sweepLocked(now time.Time) {
	if now.Sub(a.sweep) < time.Minute {
		return
	}
	a.sweep = now
	for k, b := range a.tokens {
		if now.Sub(b.last) > time.Minute {
			delete(a.tokens, k)
		}
	}
	for k, b := range a.addrs {
		if now.Sub(b.last) > 10*time.Minute {
			delete(a.addrs, k)
		}
	}
}
