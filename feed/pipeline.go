package feed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
)

// Store is what the pipeline needs of a dragnet.Store.
type Store interface {
	AddObjects(ctx context.Context, collectionID, statusID string, subs []*dragnet.Submission) ([]dragnet.AddResult, error)
	Objects(ctx context.Context, collectionID string, f dragnet.Filter, withRaw bool) (*dragnet.Page, error)
}

// DefaultBatch is the number of objects stored per transaction.
const DefaultBatch = 1000

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
	Batch      int              // objects per transaction; 0: DefaultBatch
	Now        func() time.Time // nil: time.Now
	// Progress, if set, is called after each batch with the number of
	// entries handled so far in this Run.
	Progress func(entries int)
	// Seen, if set, is called with the id of every entry stored or found
	// unchanged (the feed scheduler keeps them to find entries gone from
	// the feed).
	Seen func(id string)
}

// Run decodes r with dec and stores what it yields. source names the
// input in the Summary's problems. The error is an *InputError when the
// input cannot be decoded as a whole, another error for faults (the store
// fails, ctx ends); rejected entries are in the Summary. Batches stored
// before an error stay stored.
func (p *Pipeline) Run(ctx context.Context, dec Decoder, r io.Reader, b *Builder, source string) (*Summary, error) {
	sum := &Summary{Outcomes: map[Outcome]int{}}
	size := p.Batch
	if size <= 0 {
		size = DefaultBatch
	}
	batch := make([]*Item, 0, size)
	entries := 0
	var storeErr error
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := p.store(ctx, batch, sum, source); err != nil {
			storeErr = err
			return err
		}
		batch = batch[:0]
		if p.Progress != nil {
			p.Progress(entries)
		}
		return nil
	}
	err := dec.Decode(ctx, r, b, func(it *Item) error {
		if it.Entry {
			entries++
		}
		batch = append(batch, it)
		if len(batch) >= size {
			return flush()
		}
		return nil
	})
	if err == nil {
		return sum, flush()
	}
	if storeErr == nil && ctx.Err() == nil {
		err = &InputError{Source: source, Err: err}
	}
	return sum, err
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
// It asks first which ids are stored at all (a manifest, without the
// objects' JSON), then reads the JSON of those only: a first load of a
// feed costs one light query per batch.
func (p *Pipeline) latest(ctx context.Context, ids []string) (map[string]*dragnet.StoredObject, error) {
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
	for start := 0; start < len(ids); start += DefaultBatch {
		chunk := ids[start:min(start+DefaultBatch, len(ids))]
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

func (p *Pipeline) store(ctx context.Context, batch []*Item, sum *Summary, source string) error {
	outcome := func(it *Item, o Outcome) {
		if !it.Entry {
			return
		}
		sum.Entries++
		if it.Warninglisted != "" && o != Rejected {
			o = Warninglisted
		}
		sum.count(o)
	}
	var keep []*Item
	seen := make(map[string]bool, len(batch))
	ids := make([]string, 0, len(batch))
	for _, it := range batch {
		if it.Err != nil || it.Object == nil {
			if it.Err == nil {
				it.Err = fmt.Errorf("no object")
			}
			sum.problem(Problem{Source: source, Where: it.Where, Reason: it.Err.Error()})
			sum.Objects.Rejected++
			outcome(it, Rejected)
			continue
		}
		if seen[it.Object.ID] {
			// The same entry twice in one batch (a repeated line).
			sum.Objects.Unchanged++
			outcome(it, Unchanged)
			continue
		}
		seen[it.Object.ID] = true
		ids = append(ids, it.Object.ID)
		keep = append(keep, it)
	}
	stored, err := p.latest(ctx, ids)
	if err != nil {
		return err
	}
	subs := make([]*dragnet.Submission, 0, len(keep))
	send := make([]*Item, 0, len(keep))
	updated := make([]bool, 0, len(keep))
	for _, it := range keep {
		ex := stored[it.Object.ID]
		if ex != nil {
			same, err := sameContent(ex.Raw, it.Object.Raw, it.RunTimes)
			if err != nil {
				return fmt.Errorf("comparing %s with the stored version: %w", it.Object.ID, err)
			}
			if same || it.Object.Created.IsZero() { // SCOs are identified by their content
				sum.Objects.Unchanged++
				outcome(it, Unchanged)
				if p.Seen != nil && it.Entry {
					p.Seen(it.Object.ID)
				}
				continue
			}
			if err := newVersion(it, ex, p.now()); err != nil {
				sum.problem(Problem{Source: source, Where: it.Where, Reason: err.Error()})
				sum.Objects.Rejected++
				outcome(it, Rejected)
				continue
			}
		}
		subs = append(subs, &dragnet.Submission{Object: it.Object, Values: it.Values})
		send = append(send, it)
		updated = append(updated, ex != nil)
	}
	if len(subs) == 0 {
		return nil
	}
	results, err := p.Store.AddObjects(ctx, p.Collection, "", subs)
	if err != nil {
		return fmt.Errorf("storing %d objects: %w", len(subs), err)
	}
	for i, r := range results {
		it := send[i]
		switch {
		case r.Err != nil:
			sum.problem(Problem{Source: source, Where: it.Where, Reason: it.Object.ID + ": " + dragnet.ErrorMessage(r.Err)})
			sum.Objects.Rejected++
			outcome(it, Rejected)
		case updated[i] && it.Object.Revoked:
			// Revoked at the source (a MISP attribute deleted, a STIX
			// object revoked upstream).
			sum.Objects.Updated++
			outcome(it, Revoked)
		case updated[i]:
			sum.Objects.Updated++
			outcome(it, Updated)
		default:
			sum.Objects.New++
			outcome(it, New)
		}
		if r.Err == nil && p.Seen != nil && it.Entry {
			p.Seen(it.Object.ID)
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
