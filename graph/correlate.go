package graph

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// Correlation says who else reported a value (or an object), counting
// only what the caller may see.
type Correlation struct {
	Key         string      `json:"key"` // "kind:value", or the object's STIX id
	Reports     []OrgReport `json:"reports"`
	Countries   []string    `json:"countries"`
	Objects     int         `json:"objects"`      // visible objects carrying the value
	Sightings   int         `json:"sightings"`    // visible sightings of those objects
	Observed    int         `json:"observations"` // visible observations naming them
	First       time.Time   `json:"first_seen,omitzero"`
	Last        time.Time   `json:"last_seen,omitzero"`
	CrossBorder bool        `json:"cross_border"` // reported by members of two or more countries
	Popular     bool        `json:"popular,omitempty"`
	// Weight is how much a match on this value counts as a link between
	// the cases that carry it: 1 for a value few objects carry, less the
	// more carry it, a tenth of that for popular values (shared hosting,
	// CDNs, warninglisted).
	Weight   float64       `json:"weight"`
	Values   []Correlation `json:"values,omitempty"`   // for an object: the correlation of each value it carries
	Location *Location     `json:"location,omitempty"` // for an address, with a locator: where it is
}

// OrgReport is what one organisation reported about a value.
type OrgReport struct {
	OrgID     int64     `json:"org_id"`
	Country   string    `json:"country"`
	Objects   int       `json:"objects"`   // its submissions of objects carrying the value
	Sightings int       `json:"sightings"` // its sightings of them
	First     time.Time `json:"first_seen"`
	Last      time.Time `json:"last_seen"`
}

// Correlate answers "who else reported this" for a value ("kind:value",
// or a bare address, domain or e-mail address, see ParseStart) or an
// object (its STIX id: then the object's own reporters, and each value it
// carries). Only submissions a may see are counted. ENOTFOUND when the
// value or object is absent or invisible.
func (g *Graph) Correlate(a *dragnet.Access, key string) (*Correlation, error) {
	return g.correlate(a, g.ParseStart(key))
}

// correlate is Correlate for a key ParseStart has resolved.
func (g *Graph) correlate(a *dragnet.Access, key string) (*Correlation, error) {
	v := g.view(a)
	n, err := v.start(key)
	if err != nil {
		return nil, err
	}
	if g.IsValue(n) {
		return v.correlateValue(n), nil
	}
	c := &Correlation{Key: g.ID(n), Objects: 1}
	reports := map[int64]*OrgReport{}
	v.addReports(reports, n, false)
	v.countSightings(c, reports, n)
	c.finish(g, reports, 1)
	for _, h := range g.edges(n) {
		if h.kind == KindValue && h.dir == dirOut && v.edgeVisible(h) {
			c.Values = append(c.Values, *v.correlateValue(h.to))
		}
	}
	sortValues(c.Values)
	return c, nil
}

// sortValues orders an object's value correlations by key.
func sortValues(cs []Correlation) {
	slices.SortFunc(cs, func(a, b Correlation) int { return cmp.Compare(a.Key, b.Key) })
}

func (v *view) correlateValue(n NodeID) *Correlation {
	g := v.g
	c := &Correlation{Key: g.ID(n), Popular: v.popular(n)}
	reports := map[int64]*OrgReport{}
	for _, h := range g.edges(n) {
		if h.kind != KindValue || !v.edgeVisible(h) {
			continue
		}
		c.Objects++
		v.addReports(reports, h.to, false)
		v.countSightings(c, reports, h.to)
	}
	c.finish(g, reports, c.Objects)
	if loc, ok := g.locateValue(n); ok {
		c.Location = &loc
	}
	return c
}

// addReports adds n's visible submissions to the organisations' reports.
func (v *view) addReports(reports map[int64]*OrgReport, n NodeID, sighting bool) {
	g := v.g
	for _, s := range g.nodeSubs(n) {
		if v.aud[s.aud] {
			addReport(reports, g.orgs[s.org], g.countries[s.org], s.first, s.last, sighting)
		}
	}
}

// addReport adds one submission (first and last seen in Unix seconds) to
// its organisation's report.
func addReport(reports map[int64]*OrgReport, org int64, country string, first, last int64, sighting bool) {
	r := reports[org]
	if r == nil {
		r = &OrgReport{OrgID: org, Country: country, First: time.Unix(first, 0).UTC(), Last: time.Unix(last, 0).UTC()}
		reports[org] = r
	}
	if sighting {
		r.Sightings++
	} else {
		r.Objects++
	}
	if f := time.Unix(first, 0).UTC(); f.Before(r.First) {
		r.First = f
	}
	if l := time.Unix(last, 0).UTC(); l.After(r.Last) {
		r.Last = l
	}
}

// countSightings counts the visible sightings of n and observations
// naming it, and adds the sighting organisations to the reports.
func (v *view) countSightings(c *Correlation, reports map[int64]*OrgReport, n NodeID) {
	g := v.g
	for _, h := range g.edges(n) {
		if h.dir != dirIn || h.kind != KindRef || !v.edgeVisible(h) {
			continue
		}
		switch g.strs[g.typ[h.to]] {
		case "sighting":
			c.Sightings++
			v.addReports(reports, h.to, true)
		case "observed-data":
			c.Observed++
		}
	}
}

func (c *Correlation) finish(g *Graph, reports map[int64]*OrgReport, carriers int) {
	countries := map[string]bool{}
	for _, r := range reports {
		c.Reports = append(c.Reports, *r)
		if r.Country != "" {
			countries[r.Country] = true
		}
		if c.First.IsZero() || r.First.Before(c.First) {
			c.First = r.First
		}
		if r.Last.After(c.Last) {
			c.Last = r.Last
		}
	}
	slices.SortFunc(c.Reports, func(a, b OrgReport) int {
		if r := a.First.Compare(b.First); r != 0 {
			return r
		}
		return cmp.Compare(a.OrgID, b.OrgID)
	})
	for cc := range countries {
		c.Countries = append(c.Countries, cc)
	}
	slices.Sort(c.Countries)
	c.CrossBorder = len(c.Countries) >= 2
	c.Weight = 1 / (1 + math.Log10(float64(max(carriers, 1))))
	if c.Popular {
		c.Weight /= 10
	}
}

// CrossBorderEvent is a value that became reported by members of two or
// more countries.
type CrossBorderEvent struct {
	Key       string    `json:"key"`
	Countries []string  `json:"countries"`
	At        time.Time `json:"at"` // when the second country's first report was added
}

// CrossBorder returns the values that, as a sees them, became cross-border
// after since: the first report from a second country was added after it.
// Popular values are left out (a CDN address reported everywhere is no
// news). Events come oldest first.
func (g *Graph) CrossBorder(a *dragnet.Access, since time.Time) []CrossBorderEvent {
	v := g.view(a)
	var out []CrossBorderEvent
	firstBy := map[string]int64{}
	for i := range g.typ {
		n := NodeID(i)
		if !g.IsValue(n) || v.popular(n) {
			continue
		}
		clear(firstBy)
		for _, h := range g.edges(n) {
			if h.kind != KindValue || !v.edgeVisible(h) {
				continue
			}
			for _, s := range g.nodeSubs(h.to) {
				if !v.aud[s.aud] {
					continue
				}
				cc := g.countries[s.org]
				if f, ok := firstBy[cc]; !ok || s.added < f {
					firstBy[cc] = s.added
				}
			}
		}
		if len(firstBy) < 2 {
			continue
		}
		times := make([]int64, 0, len(firstBy))
		ccs := make([]string, 0, len(firstBy))
		for cc, t := range firstBy {
			times = append(times, t)
			ccs = append(ccs, cc)
		}
		slices.Sort(times)
		at := time.Unix(times[1], 0).UTC()
		if !at.After(since) {
			continue
		}
		slices.Sort(ccs)
		out = append(out, CrossBorderEvent{Key: g.ID(n), Countries: ccs, At: at})
	}
	slices.SortFunc(out, func(a, b CrossBorderEvent) int {
		if r := a.At.Compare(b.At); r != 0 {
			return r
		}
		return cmp.Compare(a.Key, b.Key)
	})
	return out
}
