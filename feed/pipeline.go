package feed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
)

// Store is what the pipeline needs of a dragnet.Store.
type Store interface {
	AddObjects(ctx context.Context, collectionID, statusID string, subs []*dragnet.Submission) ([]dragnet.AddResult, error)
	Objects(ctx context.Context, collectionID string, f dragnet.Filter, withRaw bool) (*dragnet.Page, error)
}

// DefaultBatch is the number of objects stored per transaction. Large
// batches pay the store's per-transaction costs (commit, access checks,
// audit record) over many objects, and on SQLite, whose feed ids land on
// random pages of the id and value indexes, the pages a transaction
// writes are shared by more objects: in dragnet bench ingest (600,000
// lines) 50,000 a batch cost 15-20% less CPU per object than 10,000, which
// cost about a third less than 1,000. The store's writer is held for the
// whole batch: about a second at this size. The first batches of a Run
// are smaller (see Run).
const DefaultBatch = 50000

// lookupChunk is the number of ids asked for in one look-up of stored
// versions (at most the stores' match[id] limit).
const lookupChunk = 1000

// Pipeline stores decoded Items into one collection, in batches, as the
// principal in the context. For each object it looks up the latest stored
// version first: an object that says the same (ignoring created and
// modified, and ignoring times taken from the run) is unchanged and not
// stored again; one that says something else is stored as a new version
// (created kept, modified later than the stored one). So pulling a feed
// twice creates nothing, and a changed entry creates one new version.
type Pipeline struct {
	Store      Store
	Collection string
	Batch      int              // objects per transaction at most; 0: DefaultBatch
	Now        func() time.Time // nil: time.Now
	// Progress, if set, is called after each batch with the number of
	// entries handled so far in this Run.
	Progress func(entries int)
	// Seen, if set, is called with the id and the Fingerprint of every
	// entry stored or found unchanged (the feed scheduler keeps them to
	// find entries gone from the feed, and to know them next time).
	Seen func(id string, fp uint64)
	// Known, if set, gives the fingerprint an entry had when this source
	// last stored it or found it unchanged. An entry with the same
	// fingerprint is unchanged without reading its stored version: a feed
	// pulled again costs its decoding and little more. (So a version of
	// it stored since by other means is not overwritten by the feed's.)
	Known func(id string) (fp uint64, ok bool)
}

// Run decodes r with dec and stores what it yields. source names the
// input in the Summary's problems. The error is an *InputError when the
// input cannot be decoded as a whole, another error for faults (the store
// fails, ctx ends); rejected entries are in the Summary. Batches stored
// before an error stay stored.
//
// Decoding and storing overlap: while one batch is being stored, the next
// is decoded, compared with the stored versions and made ready, so that
// both cores work. A batch holding an id of the batch being stored waits
// for it, so that it is compared with what that batch stored. Progress
// and Seen are called from one goroutine at a time.
func (p *Pipeline) Run(ctx context.Context, dec Decoder, r io.Reader, b *Builder, source string) (*Summary, error) {
	t := &tally{sum: &Summary{Outcomes: map[Outcome]int{}}, seen: p.Seen, source: source}
	size := p.Batch
	if size <= 0 {
		size = DefaultBatch
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan *ready, 1)
	stopped := make(chan struct{}) // closed when storing failed
	var storeErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for rb := range work {
			if storeErr == nil {
				if storeErr = p.commit(ctx, rb, t); storeErr != nil {
					close(stopped)
					cancel()
				}
			}
			close(rb.done)
			if storeErr == nil && p.Progress != nil {
				p.Progress(rb.entries)
			}
		}
	}()

	// The first batches are smaller, doubling up to size, so that storing
	// starts soon after decoding does: an input that decodes slower than
	// it stores (a MISP event) then waits for little more than its last
	// batch, and a long one loses little of the overlap at its start.
	limit := max(size/16, 1)
	batch := make([]*Item, 0, limit)
	entries := 0
	var inflight []*ready
	var fault error
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		rb, err := p.prepare(ctx, batch, t, &inflight, stopped)
		if err != nil {
			fault = err
			return err
		}
		rb.entries = entries
		limit = min(2*limit, size)
		batch = make([]*Item, 0, limit)
		select {
		case <-stopped:
			return errStopped
		case work <- rb:
		}
		inflight = append(inflight, rb)
		return nil
	}
	err := dec.Decode(ctx, r, b, func(it *Item) error {
		if it.Entry {
			entries++
		}
		batch = append(batch, it)
		if len(batch) >= limit {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	close(work)
	wg.Wait()
	switch {
	case storeErr != nil:
		return t.sum, storeErr
	case fault != nil:
		return t.sum, fault
	case err != nil && ctx.Err() == nil:
		return t.sum, &InputError{Source: source, Err: err}
	case err != nil:
		return t.sum, err
	}
	return t.sum, nil
}

var errStopped = errors.New("storing failed")

// tally counts outcomes into a Summary for the two goroutines of a Run.
type tally struct {
	mu     sync.Mutex
	sum    *Summary
	seen   func(id string, fp uint64)
	source string
	// mostStored says that most ids of the last batch were stored already,
	// and changed holds the ids sent to the store in this run (both read
	// and written by prepare only).
	mostStored bool
	changed    map[string]bool
}

// entry counts the outcome of one item (derived objects count as objects
// only) and, when it is stored or unchanged, tells Seen.
func (t *tally) entry(it *Item, o Outcome) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.sum
	switch o {
	case New:
		s.Objects.New++
	case Updated, Revoked:
		s.Objects.Updated++
	case Unchanged:
		s.Objects.Unchanged++
	case Rejected:
		s.Objects.Rejected++
		s.problem(Problem{Source: t.source, Where: it.Where, Reason: it.Err.Error()})
	}
	if !it.Entry {
		return
	}
	s.Entries++
	if it.Warninglisted != "" && o != Rejected {
		o = Warninglisted
	}
	s.count(o)
	if t.seen != nil && o != Rejected {
		t.seen(it.Object.ID, it.fp)
	}
}

// ready is a batch made ready for the store.
type ready struct {
	subs    []*dragnet.Submission
	send    []*Item
	updated []bool
	ids     map[string]bool
	entries int           // entries decoded up to the end of this batch
	done    chan struct{} // closed once stored (or given up)
}

// InputError is an input that could not be decoded as a whole (not JSON,
// not a bundle, unreadable). The entries emitted before it are stored; the
// caller may go on with other inputs.
type InputError struct {
	Source string
	Err    error
}

func (e *InputError) Error() string { return e.Source + ": " + e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func (p *Pipeline) now() time.Time {
	if p.Now != nil {
		return p.Now().UTC()
	}
	return time.Now().UTC()
}

// latest returns the latest stored version of each id in the collection.
// Unless mostStored says that most of them are likely stored (the last
// batch's were: a feed pulled again), it asks first which ids are stored
// at all (a manifest, without the objects' JSON), then reads the JSON of
// those only: a first load of a feed costs one light query per batch, a
// feed pulled again one query with the JSON.
func (p *Pipeline) latest(ctx context.Context, ids []string, mostStored bool) (map[string]*dragnet.StoredObject, error) {
	if mostStored {
		return p.versions(ctx, ids, true)
	}
	present, err := p.versions(ctx, ids, false)
	if err != nil || len(present) == 0 {
		return present, err
	}
	stored := make([]string, 0, len(present))
	for _, id := range ids {
		if present[id] != nil {
			stored = append(stored, id)
		}
	}
	return p.versions(ctx, stored, true)
}

// versions reads the latest version of each id, with or without its JSON.
func (p *Pipeline) versions(ctx context.Context, ids []string, withRaw bool) (map[string]*dragnet.StoredObject, error) {
	out := make(map[string]*dragnet.StoredObject, len(ids))
	if withRaw {
		// Reading the stored JSON of a whole batch (a feed pulled again):
		// in id order each look-up walks the store's indexes one way.
		ids = slices.Clone(ids)
		slices.Sort(ids)
	}
	for start := 0; start < len(ids); start += lookupChunk {
		chunk := ids[start:min(start+lookupChunk, len(ids))]
		f := dragnet.Filter{IDs: chunk, Versions: []string{"last"}, Limit: len(chunk)}
		for {
			page, err := p.Store.Objects(ctx, p.Collection, f, withRaw)
			if err != nil {
				return nil, fmt.Errorf("reading stored versions: %w", err)
			}
			for _, o := range page.Objects {
				if cur, ok := out[o.ID]; !ok || o.Version.After(cur.Version) {
					out[o.ID] = o
				}
			}
			if !page.More || page.Next == "" {
				break
			}
			f.Next = page.Next
		}
	}
	return out, nil
}

// prepare compares a batch with the stored versions: rejected entries and
// entries that say what is stored already are counted here; the rest are
// made into the submissions of a ready batch.
func (p *Pipeline) prepare(ctx context.Context, batch []*Item, t *tally, inflight *[]*ready, stopped <-chan struct{}) (*ready, error) {
	var keep []*Item
	ids := make([]string, 0, len(batch))
	rb := &ready{ids: make(map[string]bool, len(batch)), done: make(chan struct{})}
	for _, it := range batch {
		if it.Err != nil || it.Object == nil {
			if it.Err == nil {
				it.Err = fmt.Errorf("no object")
			}
			t.entry(it, Rejected)
			continue
		}
		if rb.ids[it.Object.ID] {
			// The same entry twice in one batch (a repeated line).
			t.entry(it, Unchanged)
			continue
		}
		rb.ids[it.Object.ID] = true
		if it.Entry && (p.Seen != nil || p.Known != nil) {
			it.fp = Fingerprint(it)
			if p.Known != nil && it.fp != 0 && !t.changed[it.Object.ID] {
				if fp, ok := p.Known(it.Object.ID); ok && fp == it.fp {
					t.entry(it, Unchanged)
					continue
				}
			}
		}
		ids = append(ids, it.Object.ID)
		keep = append(keep, it)
	}
	// Wait for a batch still being stored that holds one of these ids:
	// they must be compared with what it stored.
	pending := (*inflight)[:0]
	for _, prev := range *inflight {
		select {
		case <-prev.done:
			continue
		default:
		}
		for id := range rb.ids {
			if prev.ids[id] {
				select {
				case <-prev.done:
				case <-stopped:
					return nil, errStopped
				}
				break
			}
		}
		pending = append(pending, prev)
	}
	*inflight = pending
	stored, err := p.latest(ctx, ids, t.mostStored)
	if err != nil {
		return nil, err
	}
	t.mostStored = 2*len(stored) > len(ids)
	rb.subs = make([]*dragnet.Submission, 0, len(keep))
	rb.send = make([]*Item, 0, len(keep))
	rb.updated = make([]bool, 0, len(keep))
	now := p.now()
	for _, it := range keep {
		ex := stored[it.Object.ID]
		if ex != nil {
			same, err := sameContent(ex.Raw, it.Object.Raw, it.RunTimes)
			if err != nil {
				return nil, fmt.Errorf("comparing %s with the stored version: %w", it.Object.ID, err)
			}
			if same || it.Object.Created.IsZero() { // SCOs are identified by their content
				t.entry(it, Unchanged)
				continue
			}
			if err := newVersion(it, ex, now); err != nil {
				it.Err = err
				t.entry(it, Rejected)
				continue
			}
		}
		if p.Known != nil {
			// Stored in this run: later entries with its id are compared
			// with what is stored, not with what Known said.
			if t.changed == nil {
				t.changed = map[string]bool{}
			}
			t.changed[it.Object.ID] = true
		}
		rb.subs = append(rb.subs, &dragnet.Submission{Object: it.Object, Values: it.Values})
		rb.send = append(rb.send, it)
		rb.updated = append(rb.updated, ex != nil)
	}
	rb.sortByID()
	return rb, nil
}

// sortByID puts the batch in the order of its objects' ids. A store
// keeps the order of a call in date_added, and its indexes by id then
// grow at their end instead of taking each object on a page of its own:
// feed ids are random (see Builder.ID).
func (rb *ready) sortByID() {
	idx := make([]int, len(rb.subs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return strings.Compare(rb.subs[a].Object.ID, rb.subs[b].Object.ID) })
	subs := make([]*dragnet.Submission, len(idx))
	send := make([]*Item, len(idx))
	updated := make([]bool, len(idx))
	for to, from := range idx {
		subs[to], send[to], updated[to] = rb.subs[from], rb.send[from], rb.updated[from]
	}
	rb.subs, rb.send, rb.updated = subs, send, updated
}

// commit stores a ready batch and counts the outcomes.
func (p *Pipeline) commit(ctx context.Context, rb *ready, t *tally) error {
	if len(rb.subs) == 0 {
		return nil
	}
	results, err := p.Store.AddObjects(ctx, p.Collection, "", rb.subs)
	if err != nil {
		return fmt.Errorf("storing %d objects: %w", len(rb.subs), err)
	}
	for i, r := range results {
		it := rb.send[i]
		switch {
		case r.Err != nil:
			it.Err = errors.New(it.Object.ID + ": " + dragnet.ErrorMessage(r.Err))
			t.entry(it, Rejected)
		case rb.updated[i] && it.Object.Revoked:
			// Revoked at the source (a MISP attribute deleted, a STIX
			// object revoked upstream).
			t.entry(it, Revoked)
		case rb.updated[i]:
			t.entry(it, Updated)
		default:
			t.entry(it, New)
		}
	}
	return nil
}

// runTimeKeys are the properties a decoder fills from the run's time when
// the source has none.
var runTimeKeys = []string{"valid_from", "first_observed", "last_observed"}

func decodeMap(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// sameContent reports whether two versions of an object say the same,
// ignoring created and modified (and the run-time properties if runTimes).
func sameContent(stored, fresh []byte, runTimes bool) (bool, error) {
	if bytes.Equal(stored, fresh) {
		return true, nil
	}
	// Most comparisons are of an object built the same way twice: member
	// by member, without decoding, settles them.
	skip := func(k string) bool { return ignored(k, runTimes) }
	if same, decided := sameMembers(stored, fresh, skip); same || decided {
		return same, nil
	}
	a, err := decodeMap(stored)
	if err != nil {
		return false, err
	}
	b, err := decodeMap(fresh)
	if err != nil {
		return false, err
	}
	for _, m := range []map[string]any{a, b} {
		delete(m, "created")
		delete(m, "modified")
		if runTimes {
			for _, k := range runTimeKeys {
				delete(m, k)
			}
		}
	}
	return reflect.DeepEqual(a, b), nil
}

// newVersion rewrites it's object as the next version of ex: created as
// stored, modified after the stored version, and the run-time properties
// as stored when the fresh ones came from the run.
func newVersion(it *Item, ex *dragnet.StoredObject, now time.Time) error {
	old, err := decodeMap(ex.Raw)
	if err != nil {
		return err
	}
	obj, err := decodeMap(it.Object.Raw)
	if err != nil {
		return err
	}
	if c, ok := old["created"]; ok {
		obj["created"] = c
	}
	if it.RunTimes {
		for _, k := range runTimeKeys {
			if v, ok := old[k]; ok {
				obj[k] = v
			}
		}
	}
	mod := it.Object.Modified
	if !mod.After(ex.Version) {
		mod = now.Truncate(time.Millisecond)
		if !mod.After(ex.Version) {
			mod = ex.Version.Add(time.Millisecond).Truncate(time.Millisecond)
		}
	}
	obj["modified"] = stix.FormatTimestamp(mod)
	raw, err := marshal(obj)
	if err != nil {
		return err
	}
	o, err := stix.Decode(raw)
	if err != nil {
		return fmt.Errorf("new version: %w", err)
	}
	it.Object = o
	return nil
}

// marshal encodes without HTML escaping, as objects are received.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
