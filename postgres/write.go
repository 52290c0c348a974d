package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"

	"github.com/jackc/pgx/v5"

	"github.com/dragnet-intel/dragnet/stix"
)

// Failure messages shown to submitters (the same words as the sqlite
// store's).
const (
	msgDifferentContent = "version already exists with different content"
	msgNotAuthor        = "only the authoring organisation may version, revoke or delete %s"
	msgNotPublisher     = "you may delete only versions of %s your organisation published"
	msgRedCommunity     = "TLP:RED cannot be published to the community; publish it to a sharing group or your organisation"
	msgImpersonation    = "created_by_ref names member %s; you may not write as another member"
)

// newestSpec is the newest STIX specification version the store holds;
// objects without spec_version are stored as it.
const newestSpec = "2.1"

// validUntil returns an indicator's valid_until in ns, 0 when absent or
// unreadable. Decoding a whole object costs more than storing it, so it
// reads the property straight from the JSON when that is unambiguous (one
// key "valid_until" whose value is a plain string), and decodes otherwise.
func validUntil(o *stix.Object) int64 {
	if o.Type != "indicator" {
		return 0
	}
	key := []byte(`"valid_until"`)
	i := bytes.Index(o.Raw, key)
	if i < 0 {
		return 0
	}
	var ts string
	if v, ok := plainStringAfter(o.Raw[i+len(key):]); ok && bytes.Count(o.Raw, key) == 1 && topLevelKeyAt(o.Raw, i) {
		ts = v
	} else {
		var x struct {
			ValidUntil string `json:"valid_until"`
		}
		if json.Unmarshal(o.Raw, &x) != nil {
			return 0
		}
		ts = x.ValidUntil
	}
	t, err := stix.ParseTimestamp(ts)
	if err != nil || t.Year() < 1678 || t.Year() > 2261 {
		return 0
	}
	return t.UnixNano()
}

// topLevelKeyAt reports whether position i of the JSON object raw is
// outside any string and directly inside the outermost object.
func topLevelKeyAt(raw []byte, i int) bool {
	depth, inString := 0, false
	for j := 0; j < i; j++ {
		c := raw[j]
		switch {
		case inString && c == '\\':
			j++
		case inString:
			inString = c != '"'
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		}
	}
	return !inString && depth == 1
}

// plainStringAfter reads `: "…"` (white space allowed) at the start of b
// and returns the string if it has no escapes.
func plainStringAfter(b []byte) (string, bool) {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 || b[0] != ':' {
		return "", false
	}
	b = bytes.TrimLeft(b[1:], " \t\r\n")
	if len(b) == 0 || b[0] != '"' {
		return "", false
	}
	end := bytes.IndexByte(b[1:], '"')
	if end < 0 || bytes.IndexByte(b[1:1+end], '\\') >= 0 {
		return "", false
	}
	return string(b[1 : 1+end]), true
}

// sameJSON reports whether two encodings hold the same JSON value (key
// order and white space aside).
func sameJSON(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// sameVersion reports whether pd carries the same JSON as the stored
// version sv: by digest, else by value.
func sameVersion(ctx context.Context, tx pgx.Tx, sv storedVersion, pd *pending) (bool, error) {
	if sv.digest == pd.digest {
		return true, nil
	}
	var raw []byte
	if err := tx.QueryRow(ctx, `SELECT raw FROM versions WHERE vid = $1`, sv.vid).Scan(&raw); err != nil {
		return false, err
	}
	return sameJSON(raw, pd.sub.Object.Raw), nil
}
