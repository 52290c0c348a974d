package sqlite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
)

// Per-object failure messages, shown to the submitter.
const (
	msgDifferentContent = "version already exists with different content"
	msgNotAuthor        = "only the authoring organisation may version, revoke or delete %s"
	msgNotPublisher     = "you may delete only versions of %s your organisation published"
	msgRedCommunity     = "TLP:RED cannot be published to the community; publish it to a sharing group or your organisation"
	msgImpersonation    = "created_by_ref names member %s; you may not write as another member"
)

// newObject is an object id seen for the first time.
type newObject struct {
	id, typ, spec string
	versionNS     int64
	revoked       bool
	validUntil    int64
	raw           []byte
	audience      int64
	tlp           dragnet.TLP
	org           int64
	values        []dragnet.Value
	// shared: a versioned object by a member (one object per id across
	// the store); else an SCO or a third party's object relayed (one per
	// holder out of the others' sight). See objectFor.
	shared bool
}

// insertNewObject stores an object id the store has never seen, its one
// version and its submission (both first and latest in its audience), and
// returns the submission's date_added.
func insertNewObject(ctx context.Context, w *wtx, n newObject) error {
	res, err := w.exec(ctx, `INSERT INTO objects (id, type, owner, shared) VALUES (?, ?, ?, ?)`, n.id, n.typ, n.org, n.shared)
	if err != nil {
		return fmt.Errorf("storing object: %w", err)
	}
	oid, err := res.LastInsertId()
	if err != nil {
		return err
	}
	_, err = insertVersionAndSubmission(ctx, w, oid, n, true, true)
	return err
}

func insertVersionAndSubmission(ctx context.Context, w *wtx, oid int64, n newObject, first, latest bool) (int64, error) {
	res, err := w.exec(ctx, `INSERT INTO versions (oid, version_ns, spec_version, revoked, valid_until, raw) VALUES (?, ?, ?, ?, ?, ?)`,
		oid, n.versionNS, n.spec, n.revoked, n.validUntil, n.raw)
	if err != nil {
		return 0, fmt.Errorf("storing version: %w", err)
	}
	vid, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	for _, v := range n.values {
		if _, err := w.exec(ctx, `INSERT OR IGNORE INTO obj_values (vid, kind, value) VALUES (?, ?, ?)`, vid, string(v.Kind), v.Value); err != nil {
			return 0, fmt.Errorf("indexing values: %w", err)
		}
	}
	return insertSubmission(ctx, w, oid, vid, n, first, latest)
}

func insertSubmission(ctx context.Context, w *wtx, oid, vid int64, n newObject, first, latest bool) (int64, error) {
	da, err := w.nextDateAdded(ctx)
	if err != nil {
		return 0, err
	}
	_, err = w.exec(ctx, `INSERT INTO submissions (date_added, audience, oid, vid, version_ns, tlp, org_id, latest, first) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		da, n.audience, oid, vid, n.versionNS, int(n.tlp), n.org, latest, first)
	if err != nil {
		return 0, fmt.Errorf("storing submission: %w", err)
	}
	return da, nil
}

// sameJSON reports whether two encodings hold the same JSON value.
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

// versionNanos converts a STIX version to nanoseconds; 0 for none.
func versionNanos(t time.Time) (int64, error) {
	if t.IsZero() {
		return 0, nil
	}
	if t.Year() < 1678 || t.Year() > 2261 {
		return 0, fmt.Errorf("version timestamp %s is out of the supported range (years 1678 to 2261)", stix.FormatTimestamp(t))
	}
	return t.UnixNano(), nil
}

// fail makes a per-object failure.
func fail(format string, args ...any) error {
	return dragnet.Errorf(dragnet.EINVALID, format, args...)
}

// isFailure reports whether err is a per-object failure rather than a fault.
func isFailure(err error) bool {
	var e *dragnet.Error
	return errors.As(err, &e)
}
