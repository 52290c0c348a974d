package taxii

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
)

const (
	id1 = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	id2 = "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"
)

func TestParseFilter(t *testing.T) {
	tests := []struct {
		query string
		mask  int
		want  dragnet.Filter
	}{
		{"", paramsObjects, dragnet.Filter{Limit: 100}},
		{"limit=5", paramsObjects, dragnet.Filter{Limit: 5}},
		{"limit=5000", paramsObjects, dragnet.Filter{Limit: 1000}},
		{"added_after=2016-01-01T01:01:01.123456Z", paramsObjects,
			dragnet.Filter{Limit: 100, AddedAfter: time.Date(2016, 1, 1, 1, 1, 1, 123456000, time.UTC)}},
		{"next=abc", paramsObjects, dragnet.Filter{Limit: 100, Next: "abc"}},
		{"match[id]=" + id1 + "," + id2, paramsObjects, dragnet.Filter{Limit: 100, IDs: []string{id1, id2}}},
		{"match[id]=" + id1 + "&match[id]=" + id2, paramsObjects, dragnet.Filter{Limit: 100, IDs: []string{id1, id2}}},
		{"match[type]=indicator,x-custom-thing", paramsObjects, dragnet.Filter{Limit: 100, Types: []string{"indicator", "x-custom-thing"}}},
		{"match[version]=first,last,all,2016-01-01T01:01:01.000Z", paramsObjects,
			dragnet.Filter{Limit: 100, Versions: []string{"first", "last", "all", "2016-01-01T01:01:01.000Z"}}},
		{"match[spec_version]=2.0,2.1", paramsObjects, dragnet.Filter{Limit: 100, SpecVersions: []string{"2.0", "2.1"}}},
		{"match[type]=indicator&unknown=1&match[foo]=bar", paramsObjects, dragnet.Filter{Limit: 100, Types: []string{"indicator"}}},
		// Parameters an endpoint does not define are ignored.
		{"match[type]=indicator&match[id]=bad", paramsObject, dragnet.Filter{Limit: 100}},
		{"limit=abc&added_after=bad", paramsDelete, dragnet.Filter{}},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		got, err := parseFilter(q, tt.mask, 100, 1000)
		if err != nil {
			t.Errorf("parseFilter(%q): %v", tt.query, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseFilter(%q) = %+v, want %+v", tt.query, got, tt.want)
		}
	}
}

func TestParseFilterErrors(t *testing.T) {
	tests := []struct{ query, want string }{
		{"limit=0", `limit: "0" is not a positive integer`},
		{"limit=-3", `limit: "-3" is not a positive integer`},
		{"limit=1e3", `limit: "1e3" is not a positive integer`},
		{"limit=99999999999999999999999", `is not a positive integer`},
		{"limit=1&limit=2", "limit is given 2 times"},
		{"added_after=yesterday", `added_after: "yesterday" is not a timestamp`},
		{"added_after=2016-01-01T01:01:01%2B02:00", `added_after: "2016-01-01T01:01:01+02:00" is not a timestamp`},
		{"added_after=2016-13-01T01:01:01Z", "added_after"},
		{"next=", `next: "" is not a cursor`},
		{"match[id]=indicator", `match[id]: "indicator" is not a STIX identifier`},
		{"match[id]=" + id1 + ",", `match[id]: "" is not a STIX identifier`},
		{"match[id]=indicator--1234", `match[id]: "indicator--1234" is not a STIX identifier`},
		{"match[type]=Indicator", `match[type]: "Indicator" is not a STIX type`},
		{"match[type]=ab", `match[type]: "ab" is not a STIX type`},
		{"match[version]=newest", `match[version]: "newest" is not first, last, all or a timestamp`},
		{"match[spec_version]=2", `match[spec_version]: "2" is not a STIX specification version`},
		{"match[spec_version]=v2.1", `match[spec_version]: "v2.1"`},
		{"match[type]=" + strings.Repeat("abc,", 1001) + "abc", "more than 1000 values"},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		_, err := parseFilter(q, paramsObjects, 100, 1000)
		if err == nil {
			t.Errorf("parseFilter(%q): no error, want %q", tt.query, tt.want)
			continue
		}
		if dragnet.ErrorCode(err) != dragnet.EINVALID || !strings.Contains(dragnet.ErrorMessage(err), tt.want) {
			t.Errorf("parseFilter(%q) = %v, want EINVALID containing %q", tt.query, err, tt.want)
		}
	}
}

// FuzzParseFilter checks that no query string panics the parser and that
// every error is a caller-safe EINVALID.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		"", "limit=5", "added_after=2016-01-01T01:01:01.123456Z", "next=abc",
		"match[id]=" + id1 + "," + id2, "match[type]=indicator", "match[version]=first,last,all",
		"match[spec_version]=2.1", "limit=0", "match[id]=x", "added_after=bad", "match[version]=2016-01-01T01:01:01Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := url.ParseQuery(s)
		if err != nil {
			return
		}
		for _, mask := range []int{paramsObjects, paramsObject, paramsVersions, paramsDelete} {
			flt, err := parseFilter(q, mask, 100, 1000)
			if err != nil {
				if dragnet.ErrorCode(err) != dragnet.EINVALID {
					t.Fatalf("parseFilter(%q): %v is not EINVALID", s, err)
				}
				continue
			}
			if mask&qLimit != 0 && (flt.Limit < 1 || flt.Limit > 1000) {
				t.Fatalf("parseFilter(%q): limit %d out of range", s, flt.Limit)
			}
		}
	})
}
