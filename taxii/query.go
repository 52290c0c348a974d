package taxii

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
)

// Query parameters each endpoint honours (section 3.4). Parameters an
// endpoint does not define are ignored, as the specification allows; a
// defined parameter with a bad value is a 400 naming it.
const (
	qAddedAfter  = 1 << iota // added_after
	qLimit                   // limit
	qNext                    // next
	qID                      // match[id]
	qType                    // match[type]
	qVersion                 // match[version]
	qSpecVersion             // match[spec_version]

	paramsObjects  = qAddedAfter | qLimit | qNext | qID | qType | qVersion | qSpecVersion
	paramsObject   = qAddedAfter | qLimit | qNext | qVersion | qSpecVersion
	paramsVersions = qAddedAfter | qLimit | qNext | qSpecVersion
	paramsDelete   = qVersion | qSpecVersion
)

// maxFilterValues bounds how many comma-separated values one match[...]
// parameter may carry.
const maxFilterValues = 1000

// parseFilter reads the TAXII query parameters allowed by mask from q into
// a store filter. limit defaults to defLimit and is capped at maxLimit
// (the specification lets a server return fewer objects than asked).
// Errors are EINVALID and name the parameter and the bad value.
func parseFilter(q url.Values, mask int, defLimit, maxLimit int) (dragnet.Filter, error) {
	var f dragnet.Filter
	if mask&qLimit != 0 {
		f.Limit = defLimit
	}
	for key, vals := range q {
		var bit int
		switch key {
		case "added_after":
			bit = qAddedAfter
		case "limit":
			bit = qLimit
		case "next":
			bit = qNext
		case "match[id]":
			bit = qID
		case "match[type]":
			bit = qType
		case "match[version]":
			bit = qVersion
		case "match[spec_version]":
			bit = qSpecVersion
		default:
			continue
		}
		if mask&bit == 0 {
			continue
		}
		switch bit {
		case qAddedAfter, qLimit, qNext:
			if len(vals) != 1 {
				return f, dragnet.Errorf(dragnet.EINVALID, "query parameter %s is given %d times; give it once", key, len(vals))
			}
		}
		v := vals[0]
		switch bit {
		case qAddedAfter:
			t, err := stix.ParseTimestamp(v)
			if err != nil {
				return f, dragnet.Errorf(dragnet.EINVALID, "added_after: %q is not a timestamp of the form YYYY-MM-DDTHH:MM:SS[.s+]Z", v)
			}
			f.AddedAfter = t
		case qLimit:
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return f, dragnet.Errorf(dragnet.EINVALID, "limit: %q is not a positive integer", v)
			}
			f.Limit = min(n, maxLimit)
		case qNext:
			if v == "" || len(v) > 1024 {
				return f, dragnet.Errorf(dragnet.EINVALID, "next: %q is not a cursor this server issued", v)
			}
			f.Next = v
		case qID:
			ids, err := splitValues(key, vals, validID)
			if err != nil {
				return f, err
			}
			f.IDs = ids
		case qType:
			types, err := splitValues(key, vals, validType)
			if err != nil {
				return f, err
			}
			f.Types = types
		case qVersion:
			vs, err := splitValues(key, vals, validVersion)
			if err != nil {
				return f, err
			}
			f.Versions = vs
		case qSpecVersion:
			svs, err := splitValues(key, vals, validSpecVersion)
			if err != nil {
				return f, err
			}
			f.SpecVersions = svs
		}
	}
	return f, nil
}

// splitValues splits the comma-separated values of a match parameter
// (repeated parameters are joined) and checks each with ok, which returns
// the rule a bad value breaks.
func splitValues(key string, vals []string, ok func(string) string) ([]string, error) {
	var out []string
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			if rule := ok(s); rule != "" {
				return nil, dragnet.Errorf(dragnet.EINVALID, "%s: %q %s", key, s, rule)
			}
			out = append(out, s)
			if len(out) > maxFilterValues {
				return nil, dragnet.Errorf(dragnet.EINVALID, "%s: more than %d values", key, maxFilterValues)
			}
		}
	}
	return out, nil
}

// validType checks a STIX type name (STIX 2.1 section 3.1: 3 to 250
// characters, lower-case ASCII letters, digits and hyphens).
func validType(s string) string {
	if len(s) < 3 || len(s) > 250 {
		return "is not a STIX type (3 to 250 characters a-z, 0-9, -)"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return "is not a STIX type (3 to 250 characters a-z, 0-9, -)"
		}
	}
	return ""
}

// validID checks a STIX identifier: type--UUID (STIX 2.1 section 2.9).
func validID(s string) string {
	typ, uuid, ok := strings.Cut(s, "--")
	if !ok || validType(typ) != "" || !validUUID(uuid) {
		return "is not a STIX identifier of the form type--UUID"
	}
	return ""
}

// validUUID checks the 8-4-4-4-12 hexadecimal form of RFC 9562.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// validVersion checks a match[version] value: first, last, all or a STIX
// timestamp.
func validVersion(s string) string {
	switch s {
	case "first", "last", "all":
		return ""
	}
	if _, err := stix.ParseTimestamp(s); err != nil {
		return "is not first, last, all or a timestamp of the form YYYY-MM-DDTHH:MM:SS[.s+]Z"
	}
	return ""
}

// validSpecVersion checks a match[spec_version] value of the form n.m.
func validSpecVersion(s string) string {
	maj, minor, ok := strings.Cut(s, ".")
	if !ok || !digits(maj) || !digits(minor) || len(s) > 8 {
		return "is not a STIX specification version of the form n.m (e.g. 2.1)"
	}
	return ""
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
