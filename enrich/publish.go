package enrich

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/internal/follow"
	"github.com/dragnet-intel/dragnet/observable"
	"github.com/dragnet-intel/dragnet/stix"
)

// Store is what a Publisher needs of the store.
type Store interface {
	dragnet.ObjectTail
	Collections(ctx context.Context) ([]*dragnet.Collection, error)
	AddObjects(ctx context.Context, collectionID, statusID string, subs []*dragnet.Submission) ([]dragnet.AddResult, error)
}

// Publisher stores what the databases say about the addresses members
// publish, as STIX, so that every reader (TAXII, exports, the graph, other
// nodes) has it: for each new ipv4-addr or ipv6-addr object, a location
// (its country), an autonomous-system SCO, and the relationships
// address "located-at" location and address "belongs-to" autonomous system.
//
// Enrichment never says more than what it enriches, to no one else: the
// relationships, which carry the address, are published into the same
// audience as the address and marked with its TLP (a TLP:RED address in a
// group gets TLP:RED relationships in that group, seen by the same
// members), by the operator organisation, which authors them. The
// location and autonomous system alone say nothing of the address; they go
// unmarked (the audience's default) into the same audience, with the same
// identifiers everywhere, so they are stored once per audience. An address
// in an audience the operator cannot publish to (an organisation's own
// collection, a group the operator is not in) is not enriched in the store;
// correlation still locates it for the readers who see it.
//
// Identifiers are derived from what they stand for, so enriching the same
// address again stores nothing new.
type Publisher struct {
	st     Store
	lookup func(netip.Addr) (Info, bool)
	op     *dragnet.Org
	log    *slog.Logger
	cursor int64
}

// NewPublisher returns a publisher that looks addresses up with lookup
// (Enricher.Lookup) and publishes as the operator organisation op.
func NewPublisher(st Store, lookup func(netip.Addr) (Info, bool), op *dragnet.Org, log *slog.Logger) *Publisher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Publisher{st: st, lookup: lookup, op: op, log: log, cursor: -1}
}

// Start begins following the store from its newest object. ctx must carry
// the system principal.
func (p *Publisher) Start(ctx context.Context) error {
	_, head, err := p.st.ObjectsAfter(ctx, -1, 0)
	if err != nil {
		return err
	}
	p.cursor = head
	return nil
}

// Run polls every interval and on every notice from wake until ctx is
// done, logging failures. Not safe to run twice at once.
func (p *Publisher) Run(ctx context.Context, every time.Duration, wake <-chan dragnet.Change) {
	follow.Loop(ctx, every, wake, func(dragnet.Change) {
		if _, err := p.Poll(ctx); err != nil && ctx.Err() == nil {
			p.log.Error("enrichment", "err", err)
		}
	})
}

// Poll enriches the addresses published since the last poll and returns
// how many objects it stored. ctx must carry the system principal.
func (p *Publisher) Poll(ctx context.Context) (int, error) {
	if p.cursor < 0 {
		return 0, dragnet.Errorf(dragnet.EINVALID, "the publisher has not been started")
	}
	octx := dragnet.OrgContext(ctx, p.op, dragnet.RoleWrite)
	stored := 0
	for {
		objs, next, err := p.st.ObjectsAfter(ctx, p.cursor, 500)
		if err != nil || len(objs) == 0 {
			return stored, err
		}
		var colls map[int64]string
		for _, o := range objs {
			if o.Submitter == p.op.ID || o.Revoked || (o.Type != "ipv4-addr" && o.Type != "ipv6-addr") {
				continue
			}
			if colls == nil {
				if colls, err = p.writable(octx); err != nil {
					return stored, err
				}
			}
			coll, ok := colls[o.AudienceID]
			if !ok {
				continue
			}
			subs, err := Objects(o, p.lookup, p.op.Identity)
			if err != nil || len(subs) == 0 {
				continue
			}
			rs, err := p.st.AddObjects(octx, coll, "", subs)
			if err != nil {
				return stored, err
			}
			for _, r := range rs {
				if r.Err != nil {
					p.log.Warn("enrichment refused", "object", r.ID, "err", r.Err)
					continue
				}
				stored++
			}
		}
		p.cursor = next
	}
}

// writable maps the audiences the operator may publish to to their
// collections.
func (p *Publisher) writable(octx context.Context) (map[int64]string, error) {
	cs, err := p.st.Collections(octx)
	if err != nil {
		return nil, err
	}
	m := map[int64]string{}
	for _, c := range cs {
		if c.CanWrite {
			m[c.ID] = c.CollectionID
		}
	}
	return m, nil
}

// epoch is the created and modified time of enrichment objects: fixed, so
// that enriching again gives the same versions.
const epoch = "2020-01-01T00:00:00.000Z"

// Objects returns the enrichment of one stored ipv4-addr or ipv6-addr
// object (see Publisher): nothing when the address is a network, not one
// address, or the databases know nothing of it. author is the identity
// the relationships name as created_by_ref ("" for none).
func Objects(o *dragnet.StoredObject, lookup func(netip.Addr) (Info, bool), author string) ([]*dragnet.Submission, error) {
	var sco struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(o.Raw, &sco); err != nil {
		return nil, fmt.Errorf("object %s: %w", o.ID, err)
	}
	addr, err := netip.ParseAddr(sco.Value)
	if err != nil {
		return nil, nil // a network, or not an address
	}
	info, ok := lookup(addr)
	if !ok || (info.Country == "" && info.ASN == 0) {
		return nil, nil
	}
	marking := dragnet.MarkingOfTLP(o.TLP)
	scope := strconv.FormatInt(o.AudienceID, 10) + " " + o.TLP.String()
	var out []map[string]any
	relate := func(typ, target string) {
		r := map[string]any{"type": "relationship", "spec_version": "2.1",
			"id":      "relationship--" + uuid5(o.ID+" "+typ+" "+target+" "+scope),
			"created": epoch, "modified": epoch, "relationship_type": typ,
			"source_ref": o.ID, "target_ref": target, "description": "looked up in the operator's GeoLite2-format databases"}
		if marking != "" {
			r["object_marking_refs"] = []string{marking}
		}
		if author != "" {
			r["created_by_ref"] = author
		}
		out = append(out, r)
	}
	if dragnet.ValidCountry(info.Country) {
		loc := map[string]any{"type": "location", "spec_version": "2.1", "id": "location--" + uuid5("country "+info.Country),
			"created": epoch, "modified": epoch, "name": info.Country, "country": info.Country}
		out = append(out, loc)
		relate("located-at", loc["id"].(string))
	}
	if info.ASN != 0 {
		as := map[string]any{"type": "autonomous-system", "spec_version": "2.1", "number": info.ASN}
		if info.ASOrg != "" {
			as["name"] = info.ASOrg
		}
		id, err := stix.SCOID("autonomous-system", as)
		if err != nil {
			return nil, err
		}
		as["id"] = id
		out = append(out, as)
		relate("belongs-to", id)
	}
	subs := make([]*dragnet.Submission, 0, len(out))
	for _, m := range out {
		raw, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		so, err := stix.Decode(raw)
		if err != nil {
			return nil, err
		}
		subs = append(subs, &dragnet.Submission{Object: so, Values: observable.Values(so)})
	}
	return subs, nil
}

// uuid5 returns a version 5 UUID of name in the namespace of Dragnet's
// enrichment objects.
func uuid5(name string) string {
	h := sha1.New()
	h.Write([]byte("dragnet enrichment\x00"))
	h.Write([]byte(name))
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	s := hex.EncodeToString(u)
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}
