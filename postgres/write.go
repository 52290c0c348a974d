package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"

	"github.com/jackc/pgx/v5"
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
