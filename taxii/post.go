package taxii

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

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
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxContentLength)
	err = decodeEnvelope(body, func(i int, raw json.RawMessage) error {
		o, values, id, err := checkObject(raw)
		if err != nil {
			failures = append(failures, dragnet.StatusDetail{ID: id, Message: "objects[" + strconv.Itoa(i) + "]: " + dragnet.ErrorMessage(err)})
			return nil
		}
		objs.add(raw, values)
		if len(first) < s.cfg.BatchSize {
			o.Raw = objs.get(objs.len() - 1)
			first = append(first, o)
		}
		pendings = append(pendings, dragnet.StatusDetail{ID: o.ID, Version: o.Version()})
		return nil
	})
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
