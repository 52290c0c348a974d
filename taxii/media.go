package taxii

import (
	"mime"
	"strconv"
	"strings"
)

// acceptable reports whether an Accept header lets the server answer with
// TAXII 2.1 (section 1.6.8.1). A missing header accepts anything (RFC 9110
// section 12.5.1). Accepted ranges: application/taxii+json with version 2.1
// or without a version (which the server serves as 2.1), and the wildcards
// application/* and */*, which by HTTP's rules include it. A range with
// q=0 refuses. Everything else (another version, application/json,
// application/stix+json, text/html) is not acceptable: 406.
func acceptable(header []string) bool {
	if len(header) == 0 {
		return true
	}
	seen := false
	for _, h := range header {
		for _, part := range strings.Split(h, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			seen = true
			mt, params, err := mime.ParseMediaType(part)
			if err != nil {
				continue
			}
			if q, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(q, 64); err != nil || f <= 0 {
					continue
				}
			}
			switch mt {
			case "*/*", "application/*":
				return true
			case MediaTypeBare:
				if v, ok := params["version"]; !ok || v == taxiiVersionParam {
					return true
				}
			}
		}
	}
	return !seen
}

// contentTypeOK reports whether a request body's Content-Type is the TAXII
// 2.1 media type, versioned or not (section 1.6.8.2). Anything else is
// refused with 415.
func contentTypeOK(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != MediaTypeBare {
		return false
	}
	v, ok := params["version"]
	return !ok || v == taxiiVersionParam
}
