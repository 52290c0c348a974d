package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// FeedStore is what the scheduler needs of the store.
type FeedStore interface {
	Store
	dragnet.FeedService
	FindOrg(ctx context.Context, name string) (*dragnet.Org, error)
}

// PullState is what a feed carries from one pull to the next.
type PullState struct {
	// Validators of the last successful fetch (in), and of this one (out).
	Validators Validators
	// NotModified is set by the puller when the source answered 304: nothing
	// was read, and nothing changes.
	NotModified bool
	// Known maps MISP feed event uuids to the manifest timestamps already
	// loaded (in and out).
	Known map[string]int64
	// Cursor is where an incremental source resumes (a TAXII collection's
	// last date_added), in and out.
	Cursor string
	// Incremental is set by the puller when it read only what was added
	// since the last pull (a TAXII collection from its cursor): entries
	// not seen this time are not gone, unless Present says so.
	Incremental bool
	// Present is set by an incremental puller that can list the entry ids
	// its source holds now (a TAXII collection's manifest): entries of
	// earlier pulls that are not in it are gone.
	Present map[string]bool
	// Parts is set by a puller that reads its source in parts (a MISP
	// feed's events, by uuid): the key of every part the source holds now.
	// Entries are then followed part by part: those of a part read again
	// and not seen are gone, all those of a part the source no longer
	// holds are gone, and those of a part not read again (unchanged since
	// the last pull) stay.
	Parts []string
	// PartObjects, if set, names the objects that are not entries but
	// belong to a part alone (a MISP event's report): they are retired
	// with the part when it is gone.
	PartObjects func(part string) []string

	part   string          // the part being read: Seen ids belong to it
	read   map[string]bool // parts read this time
	failed map[string]bool // parts that could not be read as a whole
}

// BeginPart says that what is read next belongs to part.
func (st *PullState) BeginPart(part string) {
	if st.read == nil {
		st.read = map[string]bool{}
	}
	st.part = part
	st.read[part] = true
}

// AddParts adds keys to Parts: the source holds these parts now.
func (st *PullState) AddParts(keys ...string) {
	if st.Parts == nil {
		st.Parts = make([]string, 0, len(keys))
	}
	st.Parts = append(st.Parts, keys...)
}

// FailPart says that part could not be read as a whole (not JSON, say):
// its entries from earlier pulls stay as they are.
func (st *PullState) FailPart(part string) {
	if st.failed == nil {
		st.failed = map[string]bool{}
	}
	st.failed[part] = true
}

// Puller pulls one feed through p: fetches f.URL (honouring and updating
// st.Validators), decodes it by f.Settings and stores it. The input
// package's Pull is the puller of every connector.
type Puller func(ctx context.Context, p *Pipeline, b *Builder, f *dragnet.Feed, st *PullState) (*Summary, error)

// SchedulerOptions configure a Scheduler. Zero values take defaults.
type SchedulerOptions struct {
	Logger       *slog.Logger
	Now          func() time.Time
	Tick         time.Duration // how often Run looks for due feeds (default 30s)
	Retries      int           // further attempts after a failed pull (default 2)
	RetryBackoff time.Duration // wait before the first retry, doubling after each (default 2s)
	Warninglists Checker       // flags values at ingest (nil: none)
}

// Scheduler pulls the store's feeds when they are due.
type Scheduler struct {
	store FeedStore
	pull  Puller
	opt   SchedulerOptions
	log   *slog.Logger
	mu    sync.Mutex // one pull of a feed at a time
}

// NewScheduler returns a scheduler over store that pulls with pull.
func NewScheduler(store FeedStore, pull Puller, opt SchedulerOptions) *Scheduler {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Tick <= 0 {
		opt.Tick = 30 * time.Second
	}
	if opt.Retries < 0 {
		opt.Retries = 0
	} else if opt.Retries == 0 {
		opt.Retries = 2
	}
	if opt.RetryBackoff <= 0 {
		opt.RetryBackoff = 2 * time.Second
	}
	return &Scheduler{store: store, pull: pull, opt: opt, log: opt.Logger}
}

// Due reports when f is next due: its interval after the last pull, or —
// after failures — sooner, one minute doubling per consecutive failure,
// never later than the interval.
func Due(f *dragnet.Feed) time.Time {
	if f.LastRun.IsZero() {
		return time.Time{}
	}
	wait := f.Interval
	if f.Failures > 0 {
		b := time.Minute << min(f.Failures-1, 20)
		if b < wait {
			wait = b
		}
	}
	return f.LastRun.Add(wait)
}

// Run pulls due feeds until ctx ends, checking every Tick. It returns
// ctx's error.
func (s *Scheduler) Run(ctx context.Context) error {
	t := time.NewTicker(s.opt.Tick)
	defer t.Stop()
	for {
		s.RunDue(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// RunDue pulls every enabled feed that is due now, one after another.
func (s *Scheduler) RunDue(ctx context.Context) {
	sys := dragnet.SystemContext(ctx)
	feeds, err := s.store.ListFeeds(sys)
	if err != nil {
		s.log.Error("listing feeds", "err", err)
		return
	}
	now := s.opt.Now()
	for _, f := range feeds {
		if ctx.Err() != nil {
			return
		}
		if !f.Enabled || Due(f).After(now) {
			continue
		}
		// On a store several nodes share, only the node that claims the
		// run pulls the feed; the claim lapses after an interval should
		// that node die mid-pull.
		if c, ok := s.store.(dragnet.FeedClaimer); ok {
			claimed, err := c.ClaimFeedRun(sys, f.ID, f.LastRun, now.Add(max(f.Interval, time.Minute)))
			if err != nil {
				s.log.Error("claiming feed run", "feed", f.Name, "err", err)
				continue
			}
			if !claimed {
				continue
			}
		}
		if _, err := s.RunFeed(ctx, f); err != nil {
			s.log.Warn("feed pull failed", "feed", f.Name, "err", err, "failures", f.Failures)
		}
	}
}

// RunFeed pulls one feed now, retrying a failed pull with back-off, and
// records the result on the feed. After a successful pull, entries that
// were in the last pull and are not in this one are retired as the feed's
// Gone mode says. A failed pull changes nothing but the feed's last error:
// the last good data stays in place.
func (s *Scheduler) RunFeed(ctx context.Context, f *dragnet.Feed) (*Summary, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sys := dragnet.SystemContext(ctx)
	sum, state, err := s.pullWithRetries(ctx, f)
	f.LastRun = s.opt.Now().UTC()
	if err != nil {
		f.LastError, f.Failures = err.Error(), f.Failures+1
		if rerr := s.store.RecordFeedRun(sys, f, nil); rerr != nil {
			return nil, errors.Join(err, rerr)
		}
		return nil, err
	}
	f.LastError, f.Failures, f.LastSuccess = "", 0, f.LastRun
	if js, err := json.Marshal(sum); err == nil {
		f.LastSummary = string(js)
	}
	if err := s.store.RecordFeedRun(sys, f, state); err != nil {
		return sum, err
	}
	return sum, nil
}

func (s *Scheduler) pullWithRetries(ctx context.Context, f *dragnet.Feed) (*Summary, []byte, error) {
	var err error
	wait := s.opt.RetryBackoff
	for attempt := 0; attempt <= s.opt.Retries; attempt++ {
		if attempt > 0 {
			s.log.Info("retrying feed", "feed", f.Name, "attempt", attempt, "err", err)
			select {
			case <-ctx.Done():
				return nil, nil, ctx.Err()
			case <-time.After(wait):
			}
			wait *= 2
		}
		var sum *Summary
		var state []byte
		sum, state, err = s.pullOnce(ctx, f)
		if err == nil {
			return sum, state, nil
		}
		if ctx.Err() != nil || dragnet.ErrorCode(err) == dragnet.EINVALID || dragnet.ErrorCode(err) == dragnet.EFORBIDDEN || dragnet.ErrorCode(err) == dragnet.ENOTFOUND {
			break // retrying cannot help
		}
	}
	return nil, nil, err
}

// pullOnce pulls f once and retires what is gone; it returns the summary
// and the new state to store.
func (s *Scheduler) pullOnce(ctx context.Context, f *dragnet.Feed) (*Summary, []byte, error) {
	sys := dragnet.SystemContext(ctx)
	raw, err := s.store.FeedState(sys, f.ID)
	if err != nil {
		return nil, nil, err
	}
	prev, err := decodeState(raw)
	if err != nil {
		prev = &feedState{} // an unreadable state only loses the gone-tracking
	}
	org, err := s.store.FindOrg(sys, f.OrgName)
	if err != nil {
		return nil, nil, err
	}
	octx := dragnet.OrgContext(ctx, org, dragnet.RoleWrite)
	b := &Builder{Scope: org.IDScope(), Source: f.Name, Now: s.opt.Now().UTC().Truncate(time.Millisecond), Warninglists: s.opt.Warninglists}
	if f.TLP != dragnet.TLPNone {
		b.Markings = []string{dragnet.MarkingOfTLP(f.TLP)}
	}
	known := map[string]int64{}
	if prev.Parts != nil || len(prev.IDs) == 0 {
		for k, v := range prev.Known {
			known[k] = v
		}
	}
	// (A state written before entries were followed by part has Known
	// events but no Parts: every event is read once more to learn which
	// entries are its own.)
	ps := &PullState{Validators: Validators{ETag: f.ETag, LastModified: f.LastModified}, Known: known, Cursor: prev.Cursor}
	seen := map[string]string{} // entry id -> part
	fps := map[string]uint64{}  // entry id -> fingerprint
	p := &Pipeline{Store: s.store, Collection: f.CollectionID, Now: s.opt.Now,
		Seen: func(id string, fp uint64) {
			seen[id] = ps.part
			if fp != 0 {
				fps[id] = fp
			} else {
				delete(fps, id)
			}
		},
		Known: func(id string) (uint64, bool) {
			fp, ok := prev.FP[id]
			return fp, ok
		},
	}
	sum, err := s.pull(octx, p, b, f, ps)
	if err != nil {
		return nil, nil, err
	}
	if ps.NotModified {
		if sum == nil {
			sum = &Summary{Outcomes: map[Outcome]int{}}
		}
		sum.NotModified = true
		return sum, nil, nil
	}
	next, gone, objs, err := compareState(prev, ps, seen)
	if err != nil {
		return nil, nil, fmt.Errorf("feed %s %v (%d rejected); keeping the last good data", f.Name, err, sum.Outcomes[Rejected])
	}
	next.fingerprints(prev, seen, fps)
	if len(gone)+len(objs) > 0 {
		mode, err := ParseGoneMode(f.Gone)
		if err != nil {
			return nil, nil, err
		}
		rs, err := p.Retire(octx, gone, mode)
		if err != nil {
			return nil, nil, err
		}
		sum.Add(rs)
		// What went with a gone part (a MISP event's report) follows the
		// feed's mode: revoked, unless the feed keeps what is gone.
		if rs, err = p.retire(octx, objs, mode, false); err != nil {
			return nil, nil, err
		}
		sum.Add(rs)
	}
	state, err := encodeState(next)
	if err != nil {
		return nil, nil, err
	}
	// Only a pull that succeeded as a whole keeps its validators: after a
	// failed one, the next fetch must not be answered "not modified".
	f.ETag, f.LastModified = ps.Validators.ETag, ps.Validators.LastModified
	return sum, state, nil
}
