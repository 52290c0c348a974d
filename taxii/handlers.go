package taxii

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
)

// writeJSON answers with v as TAXII JSON.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeBody(w, r, status, append(body, '\n'))
}

func (s *Server) writeBody(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", MediaType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// baseURL is the scheme and host the discovery resource's URLs start with.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return strings.TrimRight(s.cfg.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// getDiscovery serves the discovery resource (section 4.1).
func (s *Server) getDiscovery(w http.ResponseWriter, r *http.Request, _ route) {
	root := s.baseURL(r) + APIRootPath
	s.writeJSON(w, r, http.StatusOK, Discovery{
		Title:       s.cfg.Title,
		Description: s.cfg.Description,
		Contact:     s.cfg.Contact,
		Default:     root,
		APIRoots:    []string{root},
	})
}

// getAPIRoot serves the API root resource (section 4.2).
func (s *Server) getAPIRoot(w http.ResponseWriter, r *http.Request, _ route) {
	s.writeJSON(w, r, http.StatusOK, APIRoot{
		Title:            s.cfg.Title,
		Description:      s.cfg.Description,
		Versions:         []string{MediaType},
		MaxContentLength: s.cfg.MaxContentLength,
	})
}

// getStatus serves a status resource (section 4.3); only the organisation
// that made the request sees it.
func (s *Server) getStatus(w http.ResponseWriter, r *http.Request, rt route) {
	st, err := s.store.Status(r.Context(), rt.status)
	if dragnet.ErrorCode(err) == dragnet.ENOTFOUND {
		err = dragnet.Errorf(dragnet.ENOTFOUND, "status %q not found", rt.status)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, statusResource(st))
}

// statusResource converts a stored status to its TAXII form.
func statusResource(st *dragnet.Status) *Status {
	conv := func(ds []dragnet.StatusDetail) []StatusDetail {
		out := make([]StatusDetail, len(ds))
		for i, d := range ds {
			out[i] = StatusDetail{ID: d.ID, Message: d.Message}
			if !d.Version.IsZero() {
				out[i].Version = stix.FormatTimestamp(d.Version)
			}
		}
		return out
	}
	res := &Status{
		ID:           st.ID,
		Status:       st.Status,
		SuccessCount: len(st.Successes),
		Successes:    conv(st.Successes),
		FailureCount: len(st.Failures),
		Failures:     conv(st.Failures),
		PendingCount: len(st.Pendings),
		Pendings:     conv(st.Pendings),
	}
	res.TotalCount = res.SuccessCount + res.FailureCount + res.PendingCount
	if !st.RequestTimestamp.IsZero() {
		res.RequestTimestamp = FormatTime(st.RequestTimestamp)
	}
	return res
}

// getCollections serves the collections resource (section 5.1): the
// collections the caller can read or write.
func (s *Server) getCollections(w http.ResponseWriter, r *http.Request, _ route) {
	cs, err := s.store.Collections(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, _ := dragnet.PrincipalFrom(r.Context())
	res := Collections{Collections: make([]CollectionInfo, 0, len(cs))}
	for _, c := range cs {
		res.Collections = append(res.Collections, collectionInfo(c, p))
	}
	s.writeJSON(w, r, http.StatusOK, res)
}

// collectionInfo is a collection as the principal sees it: writing needs
// both the store's permission and a role that may publish.
func collectionInfo(c *dragnet.Collection, p dragnet.Principal) CollectionInfo {
	var desc string
	switch c.Kind {
	case dragnet.AudienceCommunity:
		desc = "Intelligence shared with every member"
	case dragnet.AudienceGroup:
		desc = "Intelligence shared with the members of sharing group " + c.Title
	case dragnet.AudienceOrg:
		desc = "Intelligence private to organisation " + c.Title
	}
	if c.DefaultTLP != dragnet.TLPNone {
		desc += "; unmarked objects are " + c.DefaultTLP.Label()
	}
	return CollectionInfo{
		ID:          c.CollectionID,
		Title:       c.Title,
		Description: desc,
		CanRead:     c.CanRead,
		CanWrite:    c.CanWrite && p.Role.CanWrite(),
		MediaTypes:  []string{STIXMediaType},
	}
}

// collection finds a collection the caller may see. Absent and invisible
// collections give the same 404.
func (s *Server) collection(r *http.Request, id string) (*dragnet.Collection, error) {
	c, err := s.store.Collection(r.Context(), id)
	if dragnet.ErrorCode(err) == dragnet.ENOTFOUND {
		return nil, dragnet.Errorf(dragnet.ENOTFOUND, "collection %q not found", id)
	}
	return c, err
}

// readableCollection is collection plus the can_read check (403).
func (s *Server) readableCollection(r *http.Request, id string) (*dragnet.Collection, error) {
	c, err := s.collection(r, id)
	if err != nil {
		return nil, err
	}
	if !c.CanRead {
		return nil, dragnet.Errorf(dragnet.EFORBIDDEN, "collection %q cannot be read with this token", id)
	}
	return c, nil
}

// getCollection serves one collection resource (section 5.2).
func (s *Server) getCollection(w http.ResponseWriter, r *http.Request, rt route) {
	c, err := s.collection(r, rt.collection)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, _ := dragnet.PrincipalFrom(r.Context())
	s.writeJSON(w, r, http.StatusOK, collectionInfo(c, p))
}

// page lists one page of a collection under the query parameters in mask.
// With object set, it lists that object's versions only, and an object
// with no matching version is a 404.
func (s *Server) page(r *http.Request, rt route, mask int, defVersions []string, withRaw bool) (*dragnet.Page, error) {
	f, err := parseFilter(r.URL.Query(), mask, s.cfg.PageLimit, s.cfg.MaxPageLimit)
	if err != nil {
		return nil, err
	}
	if _, err := s.readableCollection(r, rt.collection); err != nil {
		return nil, err
	}
	if rt.object != "" {
		if rule := validID(rt.object); rule != "" {
			return nil, dragnet.Errorf(dragnet.ENOTFOUND, "object %q not found in collection %q", rt.object, rt.collection)
		}
		f.IDs = []string{rt.object}
	}
	if len(f.Versions) == 0 {
		f.Versions = defVersions
	}
	pg, err := s.store.Objects(r.Context(), rt.collection, f, withRaw)
	if err != nil {
		if dragnet.ErrorCode(err) == dragnet.ENOTFOUND {
			err = dragnet.Errorf(dragnet.ENOTFOUND, "collection %q not found", rt.collection)
		}
		return nil, err
	}
	if rt.object != "" && len(pg.Objects) == 0 && f.Next == "" && f.AddedAfter.IsZero() {
		return nil, dragnet.Errorf(dragnet.ENOTFOUND, "object %q not found in collection %q", rt.object, rt.collection)
	}
	return pg, nil
}

// setDateHeaders sets X-TAXII-Date-Added-First/Last (section 3.3.2) from a
// non-empty page.
func setDateHeaders(w http.ResponseWriter, pg *dragnet.Page) {
	if len(pg.Objects) == 0 {
		return
	}
	w.Header().Set("X-TAXII-Date-Added-First", FormatTime(pg.Objects[0].DateAdded))
	w.Header().Set("X-TAXII-Date-Added-Last", FormatTime(pg.Objects[len(pg.Objects)-1].DateAdded))
}

// writeEnvelope writes a page as an envelope (section 3.7) with each
// object's stored JSON copied through unchanged.
func (s *Server) writeEnvelope(w http.ResponseWriter, r *http.Request, pg *dragnet.Page) {
	n := 64
	for _, o := range pg.Objects {
		n += len(o.Raw) + 1
	}
	var b bytes.Buffer
	b.Grow(n)
	b.WriteString(`{"more":`)
	b.WriteString(strconv.FormatBool(pg.More))
	if pg.More && pg.Next != "" {
		b.WriteString(`,"next":`)
		next, _ := json.Marshal(pg.Next)
		b.Write(next)
	}
	if len(pg.Objects) > 0 {
		b.WriteString(`,"objects":[`)
		for i, o := range pg.Objects {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(o.Raw)
		}
		b.WriteByte(']')
	}
	b.WriteString("}\n")
	setDateHeaders(w, pg)
	s.writeBody(w, r, http.StatusOK, b.Bytes())
}

// getObjects serves the objects of a collection (section 5.4).
func (s *Server) getObjects(w http.ResponseWriter, r *http.Request, rt route) {
	pg, err := s.page(r, rt, paramsObjects, nil, true)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeEnvelope(w, r, pg)
}

// getObject serves the versions of one object (section 5.6).
func (s *Server) getObject(w http.ResponseWriter, r *http.Request, rt route) {
	pg, err := s.page(r, rt, paramsObject, nil, true)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeEnvelope(w, r, pg)
}

// getManifest serves the manifest of a collection (section 5.3).
func (s *Server) getManifest(w http.ResponseWriter, r *http.Request, rt route) {
	pg, err := s.page(r, rt, paramsObjects, nil, false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res := Manifest{More: pg.More, Objects: make([]ManifestRecord, len(pg.Objects))}
	if pg.More {
		res.Next = pg.Next
	}
	for i, o := range pg.Objects {
		res.Objects[i] = ManifestRecord{
			ID:        o.ID,
			DateAdded: FormatTime(o.DateAdded),
			Version:   stix.FormatTimestamp(o.Version),
			MediaType: mediaTypeOf(o),
		}
	}
	setDateHeaders(w, pg)
	s.writeJSON(w, r, http.StatusOK, res)
}

// mediaTypeOf is the STIX media type of a stored object's spec version.
func mediaTypeOf(o *dragnet.StoredObject) string {
	if o.SpecVersion == "" {
		return STIXMediaType
	}
	return "application/stix+json;version=" + o.SpecVersion
}

// getVersions serves the versions of one object (section 5.8).
func (s *Server) getVersions(w http.ResponseWriter, r *http.Request, rt route) {
	pg, err := s.page(r, rt, paramsVersions, []string{"all"}, false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res := Versions{More: pg.More, Versions: make([]string, len(pg.Objects))}
	if pg.More {
		res.Next = pg.Next
	}
	for i, o := range pg.Objects {
		res.Versions[i] = stix.FormatTimestamp(o.Version)
	}
	setDateHeaders(w, pg)
	s.writeJSON(w, r, http.StatusOK, res)
}

// deleteObject deletes the matching versions of an object (section 5.7).
// Only a token that may write, of the organisation that authored the
// object, may delete it; the store enforces authorship.
func (s *Server) deleteObject(w http.ResponseWriter, r *http.Request, rt route) {
	f, err := parseFilter(r.URL.Query(), paramsDelete, 0, 0)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.collection(r, rt.collection); err != nil {
		s.writeError(w, r, err)
		return
	}
	p, _ := dragnet.PrincipalFrom(r.Context())
	if !p.Role.CanWrite() {
		s.denied(r, "objects.delete", rt.collection+"/"+rt.object)
		s.writeError(w, r, dragnet.Errorf(dragnet.EFORBIDDEN, "a %s token cannot delete objects", p.Role))
		return
	}
	if rule := validID(rt.object); rule != "" {
		s.writeError(w, r, dragnet.Errorf(dragnet.ENOTFOUND, "object %q not found in collection %q", rt.object, rt.collection))
		return
	}
	err = s.store.DeleteObject(r.Context(), rt.collection, rt.object, f)
	if dragnet.ErrorCode(err) == dragnet.ENOTFOUND {
		err = dragnet.Errorf(dragnet.ENOTFOUND, "object %q not found in collection %q", rt.object, rt.collection)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(http.StatusOK)
}

// denied records a refused access in the audit log.
func (s *Server) denied(r *http.Request, action, target string) {
	p, _ := dragnet.PrincipalFrom(r.Context())
	e := &dragnet.AuditEvent{
		Time:    s.cfg.Now(),
		TokenID: p.TokenID,
		Action:  action,
		Target:  target,
		Outcome: "denied",
		Remote:  r.RemoteAddr,
	}
	if p.Org != nil {
		e.OrgID, e.OrgName = p.Org.ID, p.Org.Name
	}
	if err := s.store.Audit(r.Context(), e); err != nil {
		s.log.Warn("audit failed", "action", action, "err", err)
	}
}
