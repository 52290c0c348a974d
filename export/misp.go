package export

import (
	"encoding/json"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/feed"
	"github.com/dragnet-intel/dragnet/observable"
)

// mispProps is what the MISP export reads of an object.
type mispProps struct {
	Name               string           `json:"name"`
	Description        string           `json:"description"`
	Labels             []string         `json:"labels"`
	IndicatorTypes     []string         `json:"indicator_types"`
	ObjectRefs         []string         `json:"object_refs"`
	CreatedByRef       string           `json:"created_by_ref"`
	Published          string           `json:"published"`
	ExternalReferences []map[string]any `json:"external_references"`
	Content            string           `json:"content"`
	XType              string           `json:"x_misp_type"`
	XCategory          string           `json:"x_misp_category"`
	XValue             string           `json:"x_misp_value"`
	XUUID              string           `json:"x_misp_uuid"`
	XObjectName        string           `json:"x_misp_object_name"`
	XMetaCategory      string           `json:"x_misp_meta_category"`
	XAttributes        []map[string]any `json:"x_misp_attributes"`
	XDate              string           `json:"x_misp_date"`
	XThreatLevel       string           `json:"x_misp_threat_level_id"`
	XAnalysis          string           `json:"x_misp_analysis"`
	XPublished         bool             `json:"x_misp_published"`
}

// mispTypeOf maps a value kind to the MISP attribute type and category
// used when an object carries no MISP type of its own.
func mispTypeOf(k dragnet.ValueKind) (typ, category string) {
	switch k {
	case dragnet.ValueIPv4, dragnet.ValueIPv6, dragnet.ValueCIDR:
		return "ip-dst", "Network activity"
	case dragnet.ValueDomain:
		return "domain", "Network activity"
	case dragnet.ValueURL:
		return "url", "Network activity"
	case dragnet.ValueEmail:
		return "email-src", "Payload delivery"
	}
	return string(k), "Payload delivery"
}

func tlpTag(t dragnet.TLP) map[string]any {
	return map[string]any{"name": "tlp:" + t.String()}
}

func tags(labels []string, t dragnet.TLP) []map[string]any {
	out := make([]map[string]any, 0, len(labels)+1)
	for _, l := range labels {
		out = append(out, map[string]any{"name": l})
	}
	if t != dragnet.TLPNone {
		out = append(out, tlpTag(t))
	}
	return out
}

// writeMISP writes MISP events: one per report that came from a MISP
// event (uuid, info, tags as they were), and one more for everything not
// in such a report. Indicators become attributes with to_ids, observables
// and notes attributes without; MISP objects come back as objects; each
// attribute carries its labels and its TLP as tags.
func writeMISP(w io.Writer, objs []*object, st *Stats) error {
	props := map[string]*mispProps{}
	for _, o := range objs {
		var p mispProps
		if json.Unmarshal(o.Raw, &p) != nil {
			st.Skipped++
			continue
		}
		props[o.ID] = &p
	}
	byID := map[string]*object{}
	for _, o := range objs {
		byID[o.ID] = o
	}
	type ev struct {
		report *object
		uuid   string
		refs   []string
	}
	var events []*ev
	inEvent := map[string]bool{}
	for _, o := range objs {
		p := props[o.ID]
		if o.Type != "report" || p == nil {
			continue
		}
		uuid := ""
		for _, r := range p.ExternalReferences {
			if r["source_name"] == "misp" {
				uuid, _ = r["external_id"].(string)
			}
		}
		if uuid == "" {
			uuid = strings.TrimPrefix(o.ID, "report--")
		}
		events = append(events, &ev{report: o, uuid: uuid, refs: p.ObjectRefs})
		for _, r := range p.ObjectRefs {
			inEvent[r] = true
		}
	}
	var loose []string
	for _, o := range objs {
		if !inEvent[o.ID] && o.Type != "report" {
			loose = append(loose, o.ID)
		}
	}
	if len(loose) > 0 {
		events = append(events, &ev{uuid: feed.UUID5(feed.Namespace, "misp export "+loose[0]), refs: loose})
	}
	var out []map[string]any
	for _, e := range events {
		event := map[string]any{"uuid": e.uuid, "info": "Dragnet export", "distribution": "0", "analysis": "2", "threat_level_id": "4", "published": false}
		var latest int64
		if e.report != nil {
			p := props[e.report.ID]
			event["info"] = p.Name
			event["Tag"] = tags(p.Labels, e.report.TLP)
			if p.XDate != "" {
				event["date"] = p.XDate
			} else if len(p.Published) >= 10 {
				event["date"] = p.Published[:10]
			}
			if p.XThreatLevel != "" {
				event["threat_level_id"] = p.XThreatLevel
			}
			if p.XAnalysis != "" {
				event["analysis"] = p.XAnalysis
			}
			event["published"] = p.XPublished
			if id := props[p.CreatedByRef]; id != nil {
				event["Orgc"] = map[string]any{"name": id.Name}
			}
			latest = e.report.Version.Unix()
			st.Objects++
		}
		attrs, mobjs := []map[string]any{}, []map[string]any(nil)
		for _, ref := range e.refs {
			o, p := byID[ref], props[ref]
			if o == nil || p == nil {
				continue
			}
			if t := o.Version.Unix(); t > latest {
				latest = t
			}
			ts := strconv.FormatInt(o.Version.Unix(), 10)
			toIDs := o.Type == "indicator" && !(len(p.IndicatorTypes) == 1 && p.IndicatorTypes[0] == "unknown")
			switch {
			case p.XObjectName != "":
				mo := map[string]any{"name": p.XObjectName, "meta-category": p.XMetaCategory, "timestamp": ts, "comment": p.Description}
				var as []map[string]any
				for _, a := range p.XAttributes {
					ma := map[string]any{"timestamp": ts}
					for k, v := range a {
						if k == "tags" {
							var ts []map[string]any
							if l, ok := v.([]any); ok {
								for _, x := range l {
									ts = append(ts, map[string]any{"name": x})
								}
							}
							ma["Tag"] = append(ts, tlpTag(o.TLP))
							continue
						}
						ma[k] = v
					}
					if _, ok := ma["Tag"]; !ok {
						ma["Tag"] = []map[string]any{tlpTag(o.TLP)}
					}
					as = append(as, ma)
				}
				mo["Attribute"] = as
				mobjs = append(mobjs, mo)
				st.Objects++
			case p.XType != "":
				a := map[string]any{"type": p.XType, "category": p.XCategory, "value": p.XValue, "to_ids": toIDs,
					"timestamp": ts, "comment": p.Description, "Tag": tags(p.Labels, o.TLP)}
				if p.XUUID != "" {
					a["uuid"] = p.XUUID
				}
				if o.Type == "note" {
					a["comment"] = ""
				}
				attrs = append(attrs, a)
				st.Objects++
			case isSCO(o.Type) && e.report != nil:
				// Its observed-data carries the MISP attribute already.
				continue
			case o.Type == "indicator" || o.Type == "observed-data" || isSCO(o.Type):
				vs := observable.Values(o.obj)
				for _, v := range vs {
					typ, cat := mispTypeOf(v.Kind)
					attrs = append(attrs, map[string]any{"type": typ, "category": cat, "value": v.Value, "to_ids": toIDs,
						"timestamp": ts, "comment": p.Description, "Tag": tags(p.Labels, o.TLP)})
				}
				if len(vs) > 0 {
					st.Objects++
				} else {
					st.Skipped++
				}
			default:
				st.Skipped++ // SDOs without a MISP attribute form (the galaxy objects, identities)
			}
		}
		if _, ok := event["date"]; !ok && latest > 0 {
			event["date"] = unixDate(latest)
		}
		event["timestamp"] = strconv.FormatInt(latest, 10)
		sort.SliceStable(attrs, func(i, j int) bool { return attrs[i]["value"].(string) < attrs[j]["value"].(string) })
		event["Attribute"] = attrs
		if len(mobjs) > 0 {
			event["Object"] = mobjs
		}
		out = append(out, map[string]any{"Event": event})
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if len(out) == 1 {
		return enc.Encode(out[0])
	}
	return enc.Encode(map[string]any{"response": out})
}

func isSCO(typ string) bool {
	switch typ {
	case "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file":
		return true
	}
	return false
}

func unixDate(t int64) string {
	return time.Unix(t, 0).UTC().Format("2006-01-02")
}
