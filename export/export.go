// Package export writes what an organisation may see in the formats its
// tools load: STIX 2.1 bundles, MISP events, CSV, Suricata rules, Zeek
// Intel framework files and plain value lists; and serves the same over
// HTTP for sensors to pull (NewHandler).
//
// What goes in: the latest version of each object in every collection the
// caller can read (the store applies the access rules), not revoked, at or
// below the TLP ceiling. An object visible through several collections
// counts at its least restrictive visible TLP. Detection formats (csv,
// suricata, zeek, plain) take the observable values of indicators that
// have not expired; stix and misp take objects.
//
// Sharing mode: a file meant for sharing outside the member (Options.Share)
// never holds AMBER, AMBER+STRICT or RED: the ceiling is GREEN whatever
// TLPMax says, and asking for more is an error. Without it, the default
// ceiling is AMBER+STRICT: the member's own sensors may use AMBER
// intelligence, and RED goes into a file only when asked for by name.
package export

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/observable"
	"github.com/dragnet-intel/dragnet/stix"
)

// Formats.
const (
	FormatSTIX     = "stix"
	FormatMISP     = "misp"
	FormatCSV      = "csv"
	FormatSuricata = "suricata"
	FormatZeek     = "zeek"
	FormatPlain    = "plain"
)

// Formats lists the formats in the order the help shows them.
var Formats = []string{FormatSTIX, FormatMISP, FormatCSV, FormatSuricata, FormatZeek, FormatPlain}

// Options select and shape an export.
type Options struct {
	Format string
	// Types narrows the export: STIX object types for stix and misp; value
	// kinds (ip, cidr, domain, url, email, md5, sha1, sha256, sha512, hash)
	// for the detection formats. Empty: everything.
	Types []string
	// Since keeps objects added after it (exclusive); zero: all.
	Since time.Time
	// TLPMax is the most restrictive TLP exported; TLPNone means the
	// default (AMBER+STRICT, or GREEN when sharing).
	TLPMax dragnet.TLP
	// Share marks a file meant for sharing outside the member: nothing above
	// GREEN goes in.
	Share bool
	// Now is the time expiry is judged at; zero: time.Now.
	Now time.Time
	// Source names the exporter in formats that carry one (Zeek
	// meta.source, Suricata msg); default "dragnet".
	Source string
}

// Source is what an export reads: dragnet.Store satisfies it.
type Source interface {
	Collections(ctx context.Context) ([]*dragnet.Collection, error)
	Objects(ctx context.Context, collectionID string, f dragnet.Filter, withRaw bool) (*dragnet.Page, error)
}

// Stats says what an export wrote.
type Stats struct {
	Objects int // objects or values written
	Skipped int // visible but left out (above the TLP ceiling, revoked, expired, not exportable in the format)
}

// ceiling returns the effective TLP ceiling, or an error if the options
// ask for more than sharing allows.
func (o *Options) ceiling() (dragnet.TLP, error) {
	max := o.TLPMax
	if o.Share {
		if max > dragnet.TLPGreen {
			return 0, dragnet.Errorf(dragnet.EINVALID, "a file for sharing outside the organisation may not hold %s: the ceiling is TLP:GREEN", max.Label())
		}
		if max == dragnet.TLPNone {
			max = dragnet.TLPGreen
		}
		return max, nil
	}
	if max == dragnet.TLPNone {
		max = dragnet.TLPAmberStrict
	}
	return max, nil
}

// object is one exportable object version.
type object struct {
	*dragnet.StoredObject
	obj *stix.Object
}

// collect reads the latest visible version of every object, at its least
// restrictive visible TLP, dropping what is above max or revoked.
func collect(ctx context.Context, src Source, types []string, since time.Time, max dragnet.TLP, st *Stats) ([]*object, error) {
	cols, err := src.Collections(ctx)
	if err != nil {
		return nil, err
	}
	best := map[string]*dragnet.StoredObject{}
	for _, c := range cols {
		if !c.CanRead {
			continue
		}
		f := dragnet.Filter{AddedAfter: since, Types: types, Versions: []string{"last"}, Limit: 10000}
		for {
			page, err := src.Objects(ctx, c.CollectionID, f, true)
			if err != nil {
				return nil, fmt.Errorf("reading collection %s: %w", c.Title, err)
			}
			for _, o := range page.Objects {
				cur := best[o.ID]
				switch {
				case cur == nil, o.Version.After(cur.Version):
					best[o.ID] = o
				case o.Version.Equal(cur.Version) && o.TLP < cur.TLP:
					best[o.ID] = o
				}
			}
			if !page.More || page.Next == "" {
				break
			}
			f.Next = page.Next
		}
	}
	out := make([]*object, 0, len(best))
	for _, o := range best {
		if o.Revoked || o.TLP > max || o.TLP == dragnet.TLPNone {
			st.Skipped++
			continue
		}
		so, err := stix.Decode(o.Raw)
		if err != nil {
			st.Skipped++
			continue
		}
		out = append(out, &object{StoredObject: o, obj: so})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Export writes what the principal in ctx may see to w.
func Export(ctx context.Context, src Source, w io.Writer, o Options) (*Stats, error) {
	max, err := o.ceiling()
	if err != nil {
		return nil, err
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Source == "" {
		o.Source = "dragnet"
	}
	st := &Stats{}
	switch o.Format {
	case FormatSTIX, FormatMISP:
		objs, err := collect(ctx, src, o.Types, o.Since, max, st)
		if err != nil {
			return nil, err
		}
		if o.Format == FormatSTIX {
			return st, writeBundle(w, objs, st)
		}
		return st, writeMISP(w, objs, st)
	case FormatCSV, FormatSuricata, FormatZeek, FormatPlain:
		kinds, err := parseKinds(o.Types)
		if err != nil {
			return nil, err
		}
		objs, err := collect(ctx, src, []string{"indicator"}, o.Since, max, st)
		if err != nil {
			return nil, err
		}
		vals := values(objs, kinds, o.Now, st)
		switch o.Format {
		case FormatCSV:
			return st, writeCSV(w, vals, st)
		case FormatSuricata:
			return st, writeSuricata(w, vals, o.Source, st)
		case FormatZeek:
			return st, writeZeek(w, vals, o.Source, st)
		default:
			return st, writePlain(w, vals, st)
		}
	}
	return nil, dragnet.Errorf(dragnet.EINVALID, "format %q is not one of %s", o.Format, strings.Join(Formats, ", "))
}

// parseKinds maps --type names to value kinds (nil: all).
func parseKinds(types []string) (map[dragnet.ValueKind]bool, error) {
	if len(types) == 0 {
		return nil, nil
	}
	ks := map[dragnet.ValueKind]bool{}
	for _, t := range types {
		switch strings.ToLower(t) {
		case "ip", "ipv4", "ipv6", "ipv4-addr", "ipv6-addr":
			ks[dragnet.ValueIPv4], ks[dragnet.ValueIPv6] = true, true
		case "cidr":
			ks[dragnet.ValueCIDR] = true
		case "domain", "domain-name":
			ks[dragnet.ValueDomain] = true
		case "url":
			ks[dragnet.ValueURL] = true
		case "email", "email-addr":
			ks[dragnet.ValueEmail] = true
		case "md5", "sha1", "sha256", "sha512":
			ks[dragnet.ValueKind(strings.ToLower(t))] = true
		case "hash", "file":
			ks[dragnet.ValueMD5], ks[dragnet.ValueSHA1], ks[dragnet.ValueSHA256], ks[dragnet.ValueSHA512] = true, true, true, true
		default:
			return nil, dragnet.Errorf(dragnet.EINVALID, "type %q is not one of ip, cidr, domain, url, email, md5, sha1, sha256, sha512, hash", t)
		}
	}
	return ks, nil
}

// value is one exported observable value with the indicator it came from.
type value struct {
	dragnet.Value
	Indicator string
	Name      string
	Labels    []string
	TLP       dragnet.TLP
	ValidFrom string
}

type indicatorFields struct {
	Name       string   `json:"name"`
	Labels     []string `json:"labels"`
	ValidFrom  string   `json:"valid_from"`
	ValidUntil string   `json:"valid_until"`
}

// values extracts the values of live indicators, one entry per value (the
// first indicator by id, at the least restrictive TLP, wins).
func values(objs []*object, kinds map[dragnet.ValueKind]bool, now time.Time, st *Stats) []*value {
	seen := map[dragnet.Value]*value{}
	var out []*value
	for _, o := range objs {
		var f indicatorFields
		if err := json.Unmarshal(o.Raw, &f); err != nil {
			st.Skipped++
			continue
		}
		if f.ValidUntil != "" {
			if t, err := stix.ParseTimestamp(f.ValidUntil); err == nil && !t.After(now) {
				st.Skipped++
				continue
			}
		}
		vs := observable.Values(o.obj)
		if len(vs) == 0 {
			st.Skipped++
			continue
		}
		for _, v := range vs {
			if kinds != nil && !kinds[v.Kind] {
				continue
			}
			if cur := seen[v]; cur != nil {
				if o.TLP < cur.TLP {
					cur.TLP = o.TLP
				}
				continue
			}
			x := &value{Value: v, Indicator: o.ID, Name: f.Name, Labels: f.Labels, TLP: o.TLP, ValidFrom: f.ValidFrom}
			seen[v] = x
			out = append(out, x)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Value.Value < out[j].Value.Value
	})
	return out
}
