package sqlite

import (
	"context"
	"sync"
	"time"

	"github.com/dragnet-intel/dragnet"
)

var _ dragnet.ChangeNotifier = (*DB)(nil)

// pollEvery is how often a subscribed store looks for commits made by
// other processes on the same file (an administrative command, say).
const pollEvery = 500 * time.Millisecond

// hub delivers change notices to subscribers.
type hub struct {
	mu   sync.Mutex
	subs map[*subscriber]struct{}
}

type subscriber struct {
	ch   chan dragnet.Change
	lost bool // a notice was dropped: send a resync before the next one
}

// publish sends c to every subscriber without blocking; a subscriber that
// cannot take it gets a ChangeResync as soon as it can.
func (h *hub) publish(c dragnet.Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.lost {
			select {
			case s.ch <- dragnet.Change{Kind: dragnet.ChangeResync}:
				s.lost = false
			default:
				continue
			}
		}
		select {
		case s.ch <- c:
		default:
			s.lost = true
		}
	}
}

// Changes delivers notices of committed changes until ctx is done, then
// closes the channel. The first notice is a ChangeResync. Writes through
// this handle are announced as they commit (ChangeObjects, ChangeDelete,
// ChangeAccess); commits by other handles or processes on the same file
// are noticed within about half a second and announced as ChangeResync.
func (db *DB) Changes(ctx context.Context) <-chan dragnet.Change {
	s := &subscriber{ch: make(chan dragnet.Change, 64)}
	s.ch <- dragnet.Change{Kind: dragnet.ChangeResync}
	db.hub.mu.Lock()
	if db.hub.subs == nil {
		db.hub.subs = map[*subscriber]struct{}{}
	}
	db.hub.subs[s] = struct{}{}
	db.hub.mu.Unlock()
	go db.poll(ctx, s)
	return s.ch
}

// publishTo sends c to one subscriber, as publish does.
func (h *hub) publishTo(s *subscriber, c dragnet.Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; !ok {
		return
	}
	select {
	case s.ch <- c:
	default:
		s.lost = true
	}
}

// poll watches the store's generation counter, which every write
// transaction moves, and announces moves not made through this handle.
// On ctx's end or Close it unsubscribes s and closes its channel.
func (db *DB) poll(ctx context.Context, s *subscriber) {
	defer func() {
		db.hub.mu.Lock()
		delete(db.hub.subs, s)
		close(s.ch)
		db.hub.mu.Unlock()
	}()
	last := int64(-1)
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-db.closed:
			return
		case <-t.C:
		}
		var gen int64
		if err := db.rd.QueryRowContext(ctx, `SELECT value FROM counters WHERE name = 'generation'`).Scan(&gen); err != nil {
			continue
		}
		if last >= 0 && gen != last && gen != db.ownGen.Load() {
			db.hub.publishTo(s, dragnet.Change{Kind: dragnet.ChangeResync})
		}
		last = gen
	}
}
