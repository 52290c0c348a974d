package taxii

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"runtime"
	"strconv"
	"sync"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
)

// postObjects adds the objects of an envelope to a collection (section
// 5.5). The body is decoded as a stream and checked whole before anything
// is stored: a malformed envelope is a 400 and changes nothing. Each
// object is then validated on its own; the status resource is created with
// the invalid ones as failures and the valid ones as pendings, the answer
// is 202 with that status, and the valid objects are stored in batches of
// Config.BatchSize, each batch resolving its pendings in the same
// transaction, so the status is truthful at every moment.
func (s *Server) postObjects(w http.ResponseWriter, r *http.Request, rt route) {
	ctx := r.Context()
	p, _ := dragnet.PrincipalFrom(ctx)
	c, err := s.collection(r, rt.collection)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !p.Role.CanWrite() || !c.CanWrite || p.Org == nil {
		s.denied(r, "objects.add", rt.collection)
		s.writeError(w, r, dragnet.Errorf(dragnet.EFORBIDDEN, "this token cannot add objects to collection %q", rt.collection))
		return
	}
	if !contentTypeOK(r.Header.Get("Content-Type")) {
		s.writeErrorResource(w, http.StatusUnsupportedMediaType, dragnet.EUNSUPPORTED,
			"Content-Type "+strconv.Quote(r.Header.Get("Content-Type"))+" is not "+MediaType, "")
		return
	}
	if r.ContentLength > s.cfg.MaxContentLength {
		s.tooLarge(w, r)
		return
	}
	s.mu.Lock()
	closed := s.closed
	if !closed {
		s.jobs.Add(1)
	}
	s.mu.Unlock()
	if closed {
		s.writeErrorResource(w, http.StatusServiceUnavailable, "unavailable", "the server is shutting down", "")
		return
	}
	started := false
	defer func() {
		if !started {
			s.jobs.Done()
		}
	}()
	wait, cancelWait := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancelWait()
	select {
	case s.ingests <- struct{}{}:
	case <-wait.Done():
		s.writeError(w, r, wait.Err())
		return
	}
	defer func() {
		if !started {
			<-s.ingests
		}
	}()

	var objs arena
	var pendings, failures []dragnet.StatusDetail
	// The first batch's objects are kept as decoded (their Raw moved into
	// the arena), so that storing them does not decode them again; later
	// batches are decoded again when stored, which keeps the memory an
	// envelope holds bounded by about its size.
	first := make([]*stix.Object, 0, min(s.cfg.BatchSize, 1024))
	// Objects are validated a run at a time, the run spread over the
	// processors, and then taken in order.
	var run checkRun
	take := func() {
		run.check()
		for _, c := range run.objs {
			if c.panicked != nil {
				s.log.Error("validating a posted object panicked", "collection", rt.collection, "object", c.i, "panic", c.panicked)
			}
			if c.err != nil {
				failures = append(failures, dragnet.StatusDetail{ID: c.id, Message: "objects[" + strconv.Itoa(c.i) + "]: " + dragnet.ErrorMessage(c.err)})
				continue
			}
			o := c.o
			objs.add(c.raw, c.values)
			if len(first) < s.cfg.BatchSize {
				o.Raw = objs.get(objs.len() - 1)
				first = append(first, o)
			}
			pendings = append(pendings, dragnet.StatusDetail{ID: o.ID, Version: o.Version()})
		}
		run.reset()
	}
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxContentLength)
	err = decodeEnvelope(body, func(i int, raw json.RawMessage) error {
		if run.add(i, raw) {
			take()
		}
		return nil
	})
	if err == nil {
		take()
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		s.tooLarge(w, r)
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}

	st := &dragnet.Status{
		CollectionID: rt.collection,
		OrgID:        p.Org.ID,
		Status:       "complete",
		Failures:     failures,
		Pendings:     pendings,
	}
	if len(pendings) > 0 {
		st.Status = "pending"
	}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	if err := s.store.CreateStatus(sctx, st); err != nil {
		s.writeError(w, r, err)
		return
	}
	started = true
	go s.storeBatches(dragnet.WithPrincipal(s.base, p), rt.collection, st.ID, &objs, first)
	s.writeJSON(w, r, http.StatusAccepted, statusResource(st))
}

// storeBatches stores the valid objects of one envelope in batches and
// then releases the envelope's ingest turn. first holds the first objects
// as decoded on arrival; each later object is decoded again from its raw
// JSON (it was validated on arrival), so that only the raw bytes and the
// values found on arrival are held while the envelope waits to be stored.
func (s *Server) storeBatches(ctx context.Context, collection, statusID string, objs *arena, first []*stix.Object) {
	defer s.jobs.Done()
	defer func() { <-s.ingests }()
	n := s.cfg.BatchSize
	subs := make([]*dragnet.Submission, 0, n)
	for i := 0; i < objs.len(); i += n {
		subs = subs[:0]
		for j := i; j < min(i+n, objs.len()); j++ {
			if j < len(first) {
				subs = append(subs, &dragnet.Submission{Object: first[j], Values: objs.values(j)})
				continue
			}
			o, err := stix.Decode(objs.get(j))
			if err != nil { // cannot happen: it decoded on arrival
				s.log.Error("decoding a validated object failed", "status", statusID, "err", err)
				return
			}
			subs = append(subs, &dragnet.Submission{Object: o, Values: objs.values(j)})
		}
		if _, err := s.store.AddObjects(ctx, collection, statusID, subs); err != nil {
			// The transaction kept nothing: the batch's objects and all
			// after it stay pending in the status, which stays truthful.
			s.log.Error("storing posted objects failed", "status", statusID, "collection", collection,
				"stored", i, "pending", objs.len()-i, "err", err)
			return
		}
		objs.release(i + n)
		first = nil
	}
}

func (s *Server) tooLarge(w http.ResponseWriter, r *http.Request) {
	s.writeErrorResource(w, http.StatusRequestEntityTooLarge, dragnet.ETOOLARGE,
		"the request body is larger than the max_content_length of "+strconv.FormatInt(s.cfg.MaxContentLength, 10)+" bytes", "")
}

// checkRun is a run of posted objects validated together: checkObject for
// each, spread over the processors, results kept in order.
type checkRun struct {
	objs  []checkedObject
	bytes int
}

type checkedObject struct {
	i        int
	raw      json.RawMessage
	o        *stix.Object
	values   []dragnet.Value
	id       string
	err      error
	panicked any // what checkObject panicked with, for the log
}

// A run holds at most checkRunObjects objects and, beyond its first
// object, checkRunBytes bytes of them.
const (
	checkRunObjects = 256
	checkRunBytes   = 1 << 20
)

// add queues object i, which the run then owns, and reports whether the
// run is full.
func (r *checkRun) add(i int, raw json.RawMessage) bool {
	r.objs = append(r.objs, checkedObject{i: i, raw: raw})
	r.bytes += len(raw)
	return len(r.objs) >= checkRunObjects || r.bytes >= checkRunBytes
}

// check validates the queued objects.
func (r *checkRun) check() {
	workers := min(runtime.GOMAXPROCS(0), (len(r.objs)+31)/32)
	if workers <= 1 {
		for k := range r.objs {
			r.objs[k].check()
		}
		return
	}
	var wg sync.WaitGroup
	per := (len(r.objs) + workers - 1) / workers
	for lo := 0; lo < len(r.objs); lo += per {
		part := r.objs[lo:min(lo+per, len(r.objs))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range part {
				part[k].check()
			}
		}()
	}
	wg.Wait()
}

func (c *checkedObject) check() {
	// A panic here would not reach net/http's recovery (this may run on
	// a goroutine of its own): it fails the object instead.
	defer func() {
		if p := recover(); p != nil {
			c.o, c.values, c.panicked = nil, nil, p
			c.err = dragnet.Errorf(dragnet.EINTERNAL, "validating the object failed")
		}
	}()
	c.o, c.values, c.id, c.err = checkObject(c.raw)
}

// reset empties the run for the next, dropping its references.
func (r *checkRun) reset() {
	clear(r.objs)
	r.objs, r.bytes = r.objs[:0], 0
}
