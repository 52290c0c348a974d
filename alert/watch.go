package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/graph"
	"github.com/dragnet-intel/dragnet/internal/follow"
	"github.com/dragnet-intel/dragnet/observable"
	"github.com/dragnet-intel/dragnet/stix"
)

// Source is what a Watcher reads of the store: the subscriptions, the
// objects published since it last looked, the organisations, and each
// recipient's Access and own publications (through the store's own access
// rules, acting as the recipient).
type Source interface {
	dragnet.SubscriptionService
	dragnet.ObjectTail
	ListOrgs(ctx context.Context) ([]*dragnet.Org, error)
	Access(ctx context.Context) (*dragnet.Access, error)
	Collections(ctx context.Context) ([]*dragnet.Collection, error)
	Objects(ctx context.Context, collectionID string, f dragnet.Filter, withRaw bool) (*dragnet.Page, error)
}

// Correlator answers "who reported this value" as one Access sees it
// (graph.Live, which applies new submissions as they come).
type Correlator interface {
	Correlate(a *dragnet.Access, key string) (*graph.Correlation, error)
}

// WatchOptions configure a Watcher. The zero value is usable.
type WatchOptions struct {
	// Correlator finds cross-border correlations; nil: no cross-border
	// alerts.
	Correlator Correlator
	// Sync, when set, is called before each batch of new objects is
	// examined, so that the Correlator has applied them and answers for
	// everything committed so far, building its graph first if it has
	// none yet (graph.Live.Sync).
	Sync func(ctx context.Context) error
	// Locate says which country an address is in (enrich); nil: country
	// alerts come only from location objects.
	Locate func(netip.Addr) (graph.Location, bool)
	// CrossBorderMemory is how many (subscription, value) keys the
	// watcher remembers the last cross-border alert of, so as not to send
	// it again; the least recently alerted are forgotten first. A key
	// forgotten (or lost with a restart) can only repeat an alert, never
	// suppress one. 0: 100,000.
	CrossBorderMemory int
	Logger            *slog.Logger
}

// Watcher follows what is published to the store and turns it into the
// events each subscription asks for, computed through the subscribing
// organisation's Access at the moment: an organisation is never alerted to
// an object it may not see, and a correlation is counted as it sees it.
// Publications of the subscribing organisation itself do not alert it
// (cross-border correlations excepted: its report may be the one that
// crossed the border).
type Watcher struct {
	src  Source
	hub  *Hub
	opts WatchOptions
	log  *slog.Logger

	deliveries chan struct{} // one token per delivery under way

	mu        sync.Mutex
	subs      []*dragnet.Subscription
	orgs      map[int64]*dragnet.Org
	cursor    int64
	started   bool
	crossSeen *sentMemory // "subscription value" -> the countries last alerted
}

// maxDeliveries is how many events a Watcher delivers at once.
const maxDeliveries = 32

// NewWatcher returns a watcher delivering through hub. Call Start, then
// Poll or Run.
func NewWatcher(src Source, hub *Hub, opts WatchOptions) *Watcher {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Watcher{src: src, hub: hub, opts: opts, log: log, crossSeen: newSentMemory(opts.CrossBorderMemory), deliveries: make(chan struct{}, maxDeliveries)}
}

// Start loads the subscriptions and begins following the store from its
// newest object: what was published before is not alerted. ctx must carry
// the system principal.
func (w *Watcher) Start(ctx context.Context) error {
	if err := w.Reload(ctx); err != nil {
		return err
	}
	_, head, err := w.src.ObjectsAfter(ctx, -1, 0)
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.cursor, w.started = head, true
	w.mu.Unlock()
	return nil
}

// Reload reads the subscriptions and organisations again and registers
// the subscriptions' webhooks with the hub. Call it after a subscription
// changes. ctx must carry the system principal.
func (w *Watcher) Reload(ctx context.Context) error {
	subs, err := w.src.Subscriptions(ctx)
	if err != nil {
		return fmt.Errorf("loading subscriptions: %w", err)
	}
	orgs, err := w.src.ListOrgs(ctx)
	if err != nil {
		return fmt.Errorf("loading organisations: %w", err)
	}
	byID := make(map[int64]*dragnet.Org, len(orgs))
	for _, o := range orgs {
		byID[o.ID] = o
	}
	var hooks []Webhook
	for _, s := range subs {
		if s.WebhookURL != "" {
			hooks = append(hooks, Webhook{OrgID: s.OrgID, Subscription: s.ID, URL: s.WebhookURL, Secret: []byte(s.WebhookSecret)})
		}
	}
	if err := w.hub.SetWebhooks(hooks); err != nil {
		w.log.Warn("a stored webhook is not usable", "err", err)
	}
	w.mu.Lock()
	w.subs, w.orgs = subs, byID
	w.mu.Unlock()
	return nil
}

// reloadEvery is how often Run reads the subscriptions again, for those
// made through other nodes sharing the database.
const reloadEvery = 15 * time.Second

// Run polls every interval and whenever wake delivers, until ctx is done,
// and reads the subscriptions again now and then and when group
// membership changes. Failures are logged; the next poll tries again from
// the same cursor.
func (w *Watcher) Run(ctx context.Context, every time.Duration, wake <-chan dragnet.Change) {
	loaded := time.Now()
	follow.Loop(ctx, every, wake, func(c dragnet.Change) {
		if c.Kind == dragnet.ChangeAccess {
			if err := w.Reload(ctx); err != nil {
				w.log.Error("alerts: reloading", "err", err)
			}
		}
		if time.Since(loaded) >= reloadEvery {
			if err := w.Reload(ctx); err != nil && ctx.Err() == nil {
				w.log.Error("alerts: reloading", "err", err)
			}
			loaded = time.Now()
		}
		if _, err := w.Poll(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("alerts: reading new objects", "err", err)
		}
	})
}

// Poll examines everything published since the last poll and publishes
// the events it makes; it returns them. ctx must carry the system
// principal.
func (w *Watcher) Poll(ctx context.Context) ([]Event, error) {
	w.mu.Lock()
	started, cursor, idle := w.started, w.cursor, len(w.subs) == 0
	w.mu.Unlock()
	if !started {
		return nil, dragnet.Errorf(dragnet.EINVALID, "the watcher has not been started")
	}
	if idle {
		// Nobody listens: skip what was published instead of reading it.
		_, head, err := w.src.ObjectsAfter(ctx, -1, 0)
		if err != nil {
			return nil, err
		}
		w.mu.Lock()
		w.cursor = max(w.cursor, head)
		w.mu.Unlock()
		return nil, nil
	}
	var out []Event
	for {
		objs, next, err := w.src.ObjectsAfter(ctx, cursor, 500)
		if err != nil {
			return out, err
		}
		if len(objs) == 0 {
			break
		}
		if w.opts.Sync != nil {
			if err := w.opts.Sync(ctx); err != nil {
				return out, err
			}
		}
		evs, err := w.examine(ctx, objs)
		if err != nil {
			return out, err
		}
		for _, e := range evs {
			// Webhook failures are logged by the hub; a slow hook holds
			// up the next alerts only once maxDeliveries are under way.
			w.deliveries <- struct{}{}
			go func() {
				defer func() { <-w.deliveries }()
				_ = w.hub.Publish(context.WithoutCancel(ctx), e)
			}()
		}
		out = append(out, evs...)
		cursor = next
		w.mu.Lock()
		w.cursor = next
		w.mu.Unlock()
	}
	return out, nil
}

// examined is what the watcher reads of one new object.
type examined struct {
	o       *dragnet.StoredObject
	values  []dragnet.Value
	refs    map[string]bool // every id the object refers to
	country string          // a location's country
	sighted string          // a sighting's sighting_of_ref
}

func examine(o *dragnet.StoredObject) *examined {
	x := &examined{o: o, refs: map[string]bool{}}
	if so, err := stix.Decode(o.Raw); err == nil {
		x.values = observable.Values(so)
	}
	var m map[string]any
	if json.Unmarshal(o.Raw, &m) != nil {
		return x
	}
	for k, v := range m {
		switch {
		case strings.HasSuffix(k, "_ref"):
			if s, ok := v.(string); ok {
				x.refs[s] = true
			}
		case strings.HasSuffix(k, "_refs"):
			if l, ok := v.([]any); ok {
				for _, e := range l {
					if s, ok := e.(string); ok {
						x.refs[s] = true
					}
				}
			}
		}
	}
	if o.Type == "location" {
		x.country, _ = m["country"].(string)
		x.country = strings.ToUpper(x.country)
	}
	if o.Type == "sighting" {
		x.sighted, _ = m["sighting_of_ref"].(string)
	}
	return x
}

// examine makes the events for one batch of new objects.
func (w *Watcher) examine(ctx context.Context, objs []*dragnet.StoredObject) ([]Event, error) {
	w.mu.Lock()
	subs, orgs := w.subs, w.orgs
	w.mu.Unlock()
	if len(subs) == 0 {
		return nil, nil
	}
	access := map[int64]*dragnet.Access{}
	accessOf := func(org int64) (*dragnet.Access, error) {
		if a, ok := access[org]; ok {
			return a, nil
		}
		o := orgs[org]
		if o == nil {
			access[org] = nil
			return nil, nil // an organisation that is gone sees nothing
		}
		a, err := w.src.Access(dragnet.OrgContext(ctx, o, dragnet.RoleRead))
		if err != nil {
			return nil, err
		}
		access[org] = a
		return a, nil
	}
	var out []Event
	for _, o := range objs {
		if o.Revoked {
			continue
		}
		x := examine(o)
		for _, s := range subs {
			a, err := accessOf(s.OrgID)
			if err != nil {
				return out, err
			}
			if a == nil || !a.CanSee(o.AudienceID) {
				continue
			}
			evs, err := w.match(ctx, s, a, orgs, x)
			if err != nil {
				return out, err
			}
			out = append(out, evs...)
		}
	}
	return out, nil
}

// match returns the events subscription s makes of the new object x,
// which s's organisation (with Access a) may see.
func (w *Watcher) match(ctx context.Context, s *dragnet.Subscription, a *dragnet.Access, orgs map[int64]*dragnet.Org, x *examined) ([]Event, error) {
	o := x.o
	own := o.Submitter == s.OrgID
	detail := func(extra map[string]any) map[string]any {
		d := map[string]any{"object_id": o.ID, "type": o.Type, "tlp": o.TLP.String(), "date_added": o.DateAdded}
		if org := orgs[o.Submitter]; org != nil {
			d["reported_by"], d["country"] = org.Name, org.Country
		}
		for k, v := range extra {
			d[k] = v
		}
		return d
	}
	event := func(key string, d map[string]any) Event {
		return Event{ID: fmt.Sprintf("%d:%s:%d", s.ID, o.ID, o.DateAdded.UnixMicro()), Kind: s.Kind, OrgID: s.OrgID,
			Time: o.DateAdded, Key: key, Detail: d, Subscription: s.ID}
	}
	switch s.Kind {
	case dragnet.SubscribeValue:
		if !own && slices.ContainsFunc(x.values, func(v dragnet.Value) bool { return v.String() == s.Key }) {
			return []Event{event(s.Key, detail(nil))}, nil
		}
	case dragnet.SubscribeActor:
		if !own && (o.ID == s.Key || x.refs[s.Key]) {
			return []Event{event(s.Key, detail(nil))}, nil
		}
	case dragnet.SubscribeCountry:
		if own {
			return nil, nil
		}
		if x.country == s.Key {
			return []Event{event(s.Key, detail(nil))}, nil
		}
		if w.opts.Locate != nil {
			for _, v := range x.values {
				if v.Kind != dragnet.ValueIPv4 && v.Kind != dragnet.ValueIPv6 {
					continue
				}
				ip, err := netip.ParseAddr(v.Value)
				if err != nil {
					continue
				}
				if loc, ok := w.opts.Locate(ip); ok && loc.Country == s.Key {
					return []Event{event(s.Key, detail(map[string]any{"value": v.String()}))}, nil
				}
			}
		}
	case dragnet.SubscribeSighting:
		if own || x.sighted == "" {
			return nil, nil
		}
		mine, err := w.published(ctx, orgs[s.OrgID], x.sighted)
		if err != nil || !mine {
			return nil, err
		}
		return []Event{event(x.sighted, detail(map[string]any{"sighting_of_ref": x.sighted}))}, nil
	case dragnet.SubscribeCrossBorder:
		return w.crossBorder(s, a, x, event, detail), nil
	}
	return nil, nil
}

// crossBorder alerts s's organisation to each value of x that, as it sees
// it, is now reported from two or more countries, one of its own reports
// among them, when the countries differ from those it was last told of.
func (w *Watcher) crossBorder(s *dragnet.Subscription, a *dragnet.Access, x *examined, event func(string, map[string]any) Event, detail func(map[string]any) map[string]any) []Event {
	if w.opts.Correlator == nil {
		return nil
	}
	var out []Event
	for _, v := range x.values {
		c, err := w.opts.Correlator.Correlate(a, v.String())
		if err != nil || !c.CrossBorder || c.Popular {
			continue
		}
		if !slices.ContainsFunc(c.Reports, func(r graph.OrgReport) bool { return r.OrgID == s.OrgID }) {
			continue
		}
		countries := strings.Join(c.Countries, ",")
		seen := fmt.Sprintf("%d %s", s.ID, v.String())
		w.mu.Lock()
		old := w.crossSeen.swap(seen, countries)
		w.mu.Unlock()
		if old == countries {
			continue
		}
		out = append(out, event(v.String(), detail(map[string]any{"countries": c.Countries, "reports": len(c.Reports)})))
	}
	return out
}

// published reports whether org published (submitted some version of)
// the object id, as the store answers org itself.
func (w *Watcher) published(ctx context.Context, org *dragnet.Org, id string) (bool, error) {
	if org == nil {
		return false, nil
	}
	octx := dragnet.OrgContext(ctx, org, dragnet.RoleRead)
	cs, err := w.src.Collections(octx)
	if err != nil {
		return false, err
	}
	for _, c := range cs {
		if !c.CanRead {
			continue
		}
		p, err := w.src.Objects(octx, c.CollectionID, dragnet.Filter{IDs: []string{id}, Versions: []string{"all"}, Limit: 100}, false)
		if err != nil {
			if dragnet.ErrorCode(err) == dragnet.ENOTFOUND {
				continue
			}
			return false, err
		}
		for _, so := range p.Objects {
			if so.Submitter == org.ID {
				return true, nil
			}
		}
	}
	return false, nil
}
