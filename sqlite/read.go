package sqlite

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
)

// Listing limits (TAXII 2.1 section 3.4: the server may return fewer).
const (
	DefaultLimit = 1000
	MaxLimit     = 10000

	// MaxMatchValues bounds the values of one match[] parameter.
	MaxMatchValues = 1000
)

// newestSpec is the newest STIX specification version the store holds.
// Objects without spec_version are stored as it.
const newestSpec = "2.1"

// query is a compiled Filter: a WHERE clause over submissions s, versions
// v and objects o, without the date_added lower bound.
type query struct {
	where string
	args  []any
	empty bool // a filter that can match nothing (unknown ids)
	byID  bool // match[id] given: few rows, found by object, then sorted
	after int64
	limit int
	hash  uint32
}

// compile checks a Filter (EINVALID naming the parameter) and turns it
// into SQL for audience aud. defaultVersion is what an empty Versions
// means: "last" for listings, "all" for deletion.
func compile(ctx context.Context, q querier, aud int64, f dragnet.Filter, defaultVersion string) (*query, error) {
	c := &query{where: `s.audience = ?`, args: []any{aud}, limit: f.Limit}
	if c.limit < 0 {
		return nil, dragnet.Errorf(dragnet.EINVALID, "limit: %d is not a positive number", f.Limit)
	}
	if c.limit == 0 {
		c.limit = DefaultLimit
	}
	c.limit = min(c.limit, MaxLimit)
	for _, l := range []struct {
		name string
		n    int
	}{{"match[id]", len(f.IDs)}, {"match[type]", len(f.Types)}, {"match[version]", len(f.Versions)}, {"match[spec_version]", len(f.SpecVersions)}} {
		if l.n > MaxMatchValues {
			return nil, dragnet.Errorf(dragnet.EINVALID, "%s: %d values; at most %d are accepted", l.name, l.n, MaxMatchValues)
		}
	}
	h := fnv.New32a()
	fmt.Fprintf(h, "%d|%d|%q|%q|%q|%q", aud, micros(f.AddedAfter), f.IDs, f.Types, f.Versions, f.SpecVersions)
	c.hash = h.Sum32()
	c.after = micros(f.AddedAfter)
	if f.Next != "" {
		after, hash, err := decodeCursor(f.Next)
		if err != nil {
			return nil, err
		}
		if hash != c.hash {
			return nil, dragnet.Errorf(dragnet.EINVALID, "next: the cursor was issued for a different collection or different filters")
		}
		c.after = after
	}

	// match[version]
	versions := f.Versions
	if len(versions) == 0 {
		versions = []string{defaultVersion}
	}
	var ors []string
	var stamps []int64
	all := false
	for _, v := range versions {
		switch v {
		case "all":
			all = true
		case "last":
			ors = append(ors, `s.latest = 1`)
		case "first":
			ors = append(ors, `s.first = 1`)
		default:
			t, err := stix.ParseTimestamp(v)
			if err != nil {
				return nil, dragnet.Errorf(dragnet.EINVALID, "match[version]: %q is not first, last, all or a STIX timestamp", v)
			}
			stamps = append(stamps, t.UnixNano())
		}
	}
	if len(stamps) > 0 {
		args := make([]any, 0, 2*len(stamps))
		for _, ns := range stamps {
			args = append(args, ns)
		}
		// Objects with neither modified nor created have date_added as
		// their version.
		for _, ns := range stamps {
			args = append(args, ns/1000)
		}
		ors = append(ors, `s.version_ns IN (`+placeholders(len(stamps))+`) OR (s.version_ns = 0 AND s.date_added IN (`+placeholders(len(stamps))+`))`)
		c.args = append(c.args, args...)
	}
	if !all {
		c.where += ` AND (` + strings.Join(ors, ` OR `) + `)`
	}

	// match[id]: the ids, and then their oids, go in as one JSON array
	// each (json_each), not a parameter apiece: binding a thousand ids
	// cost more than finding them, and the statements keep one shape.
	if len(f.IDs) > 0 {
		list, err := json.Marshal(f.IDs)
		if err != nil {
			return nil, err
		}
		rows, err := q.QueryContext(ctx, `SELECT o.oid FROM json_each(?) j CROSS JOIN objects o ON o.id = j.value`, string(list))
		if err != nil {
			return nil, fmt.Errorf("resolving ids: %w", err)
		}
		var oids []int64
		for rows.Next() {
			var oid int64
			if err := rows.Scan(&oid); err != nil {
				rows.Close()
				return nil, err
			}
			oids = append(oids, oid)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if len(oids) == 0 {
			c.empty = true
		}
		if list, err = json.Marshal(oids); err != nil {
			return nil, err
		}
		c.byID = true
		c.where += ` AND s.oid IN (SELECT value FROM json_each(?))`
		c.args = append(c.args, string(list))
	}

	// match[type]
	if len(f.Types) > 0 {
		for _, t := range f.Types {
			if t == "" {
				return nil, dragnet.Errorf(dragnet.EINVALID, "match[type]: empty type")
			}
			c.args = append(c.args, t)
		}
		c.where += ` AND o.type IN (` + placeholders(len(f.Types)) + `)`
	}

	// match[spec_version]
	if len(f.SpecVersions) > 0 {
		for _, v := range f.SpecVersions {
			if v != "2.0" && v != "2.1" {
				return nil, dragnet.Errorf(dragnet.EINVALID, "match[spec_version]: %q is not 2.0 or 2.1", v)
			}
			c.args = append(c.args, v)
		}
		c.where += ` AND v.spec_version IN (` + placeholders(len(f.SpecVersions)) + `)`
	} else {
		// Only the newest spec version of each object (among its versions
		// in this collection). Nearly every object is at the newest the
		// store knows, which short-circuits the subquery.
		c.where += ` AND (v.spec_version = '` + newestSpec + `' OR v.spec_version = (SELECT max(v2.spec_version) FROM submissions s2 JOIN versions v2 ON v2.vid = s2.vid WHERE s2.oid = s.oid AND s2.audience = s.audience))`
	}
	return c, nil
}

// encodeCursor makes the opaque next value: the last date_added returned
// and a hash of the filters it belongs to.
func encodeCursor(dateAdded int64, hash uint32) string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(dateAdded))
	binary.BigEndian.PutUint32(b[8:], hash)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func decodeCursor(s string) (int64, uint32, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 12 {
		return 0, 0, dragnet.Errorf(dragnet.EINVALID, "next: %q is not a cursor this server issued", s)
	}
	return int64(binary.BigEndian.Uint64(b[:8])), binary.BigEndian.Uint32(b[8:]), nil
}

// Objects lists object versions in a collection in date_added order, as
// TAXII 2.1 section 5.3 filters them: added_after (exclusive), match[id],
// match[type], match[version] (first, last, all or timestamps, any mix;
// default last: the newest version of each object in this collection),
// match[spec_version] (default: each object's newest). limit defaults to
// 1000 and is capped at 10000. When more remain, More is true and Next
// continues after the last object returned; a cursor used with other
// filters or another collection is EINVALID, as is any bad filter value
// (naming the parameter). ENOTFOUND unless the caller can see the
// collection. With withRaw false Raw is nil.
func (db *DB) Objects(ctx context.Context, collectionID string, f dragnet.Filter, withRaw bool) (*dragnet.Page, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	aud, _, err := visibleAudience(ctx, db.rd, p, collectionID)
	if err != nil {
		return nil, err
	}
	return db.list(ctx, aud, f, withRaw)
}

// list lists a collection's objects with no access check: the policy was
// applied by the caller.
func (db *DB) list(ctx context.Context, aud *dragnet.Audience, f dragnet.Filter, withRaw bool) (*dragnet.Page, error) {
	c, err := compile(ctx, db.rd, aud.ID, f, "last")
	if err != nil {
		return nil, err
	}
	page := &dragnet.Page{Objects: []*dragnet.StoredObject{}}
	if c.empty {
		return page, nil
	}
	rawCol := `NULL`
	if withRaw {
		rawCol = `v.raw`
	}
	// With match[id] the rows are found through the object; the unary
	// plus keeps the planner from walking the whole collection in
	// date_added order instead.
	da := `s.date_added`
	if c.byID {
		da = `+s.date_added`
	}
	q := `SELECT s.date_added, s.version_ns, s.tlp, s.org_id, o.id, o.type, v.spec_version, v.revoked, ` + rawCol + `
		FROM submissions s JOIN versions v ON v.vid = s.vid JOIN objects o ON o.oid = s.oid
		WHERE ` + c.where + ` AND ` + da + ` > ? ORDER BY ` + da + ` LIMIT ?`
	args := append(c.args, c.after, c.limit+1)
	rows, err := db.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing objects: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		o, err := scanStored(rows, aud.ID)
		if err != nil {
			return nil, err
		}
		if len(page.Objects) == c.limit {
			page.More = true
			break
		}
		page.Objects = append(page.Objects, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing objects: %w", err)
	}
	if page.More {
		page.Next = encodeCursor(micros(page.Objects[len(page.Objects)-1].DateAdded), c.hash)
	}
	return page, nil
}

func scanStored(rows *sql.Rows, aud int64) (*dragnet.StoredObject, error) {
	o := &dragnet.StoredObject{AudienceID: aud}
	var da, vns int64
	var tlp int
	var raw []byte
	if err := rows.Scan(&da, &vns, &tlp, &o.Submitter, &o.ID, &o.Type, &o.SpecVersion, &o.Revoked, &raw); err != nil {
		return nil, fmt.Errorf("reading object: %w", err)
	}
	o.DateAdded = fromMicros(da)
	o.Version = fromNanos(vns)
	if vns == 0 {
		o.Version = o.DateAdded
	}
	o.TLP = dragnet.TLP(tlp)
	if raw != nil {
		o.Raw = raw
	}
	return o, nil
}

// DeleteObject removes the versions of object id that f selects
// (match[version], default all; match[spec_version]) from a collection.
// ENOTFOUND if the caller cannot see the collection or nothing matched;
// EFORBIDDEN for a read token, or when the caller's organisation did not
// author the object (for an SCO or a third party's object: did not publish
// every version removed). Versions no longer published anywhere are
// removed with their values; the object's authorship stays, so no one else
// can take the id over.
func (db *DB) DeleteObject(ctx context.Context, collectionID, id string, f dragnet.Filter) error {
	p, err := principal(ctx)
	if err != nil {
		return err
	}
	if p.Org != nil && !p.Role.CanWrite() {
		return dragnet.Errorf(dragnet.EFORBIDDEN, "a %s token cannot delete", p.Role)
	}
	w, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer w.Rollback()
	aud, _, err := visibleAudience(ctx, w, p, collectionID)
	if err != nil {
		return err
	}
	f.IDs, f.Types, f.Next, f.AddedAfter, f.Limit = []string{id}, nil, "", time.Time{}, 0
	c, err := compile(ctx, w, aud.ID, f, "all")
	if err != nil {
		return err
	}
	notFound := dragnet.Errorf(dragnet.ENOTFOUND, "object %q not found in collection %q", id, collectionID)
	if c.empty {
		return notFound
	}
	var oid, owner int64
	var shared bool
	// Within one collection an id belongs to one object (see objectFor).
	if err := w.QueryRowContext(ctx, `SELECT o.oid, o.owner, o.shared FROM objects o WHERE o.id = ? AND EXISTS (SELECT 1 FROM submissions s WHERE s.oid = o.oid AND s.audience = ?)`, id, aud.ID).Scan(&oid, &owner, &shared); errors.Is(err, sql.ErrNoRows) {
		return notFound
	} else if err != nil {
		return fmt.Errorf("finding object: %w", err)
	}
	rows, err := w.QueryContext(ctx, `SELECT s.date_added, s.vid, s.org_id FROM submissions s JOIN versions v ON v.vid = s.vid JOIN objects o ON o.oid = s.oid WHERE `+c.where, c.args...)
	if err != nil {
		return fmt.Errorf("finding versions: %w", err)
	}
	var das, vids []int64
	allMine := p.Org != nil
	for rows.Next() {
		var da, vid, by int64
		if err := rows.Scan(&da, &vid, &by); err != nil {
			rows.Close()
			return err
		}
		das, vids = append(das, da), append(vids, vid)
		allMine = allMine && by == p.Org.ID
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(das) == 0 {
		return notFound
	}
	// A member's object is removed by its author only; an SCO or a third
	// party's object also by whoever published the versions removed.
	if (p.Org == nil || owner != p.Org.ID) && (shared || !allMine) {
		if !shared {
			return dragnet.Errorf(dragnet.EFORBIDDEN, msgNotPublisher, id)
		}
		return dragnet.Errorf(dragnet.EFORBIDDEN, msgNotAuthor, id)
	}
	for _, da := range das {
		if _, err := w.ExecContext(ctx, `DELETE FROM submissions WHERE date_added = ?`, da); err != nil {
			return fmt.Errorf("deleting: %w", err)
		}
	}
	for _, vid := range vids {
		if _, err := w.ExecContext(ctx, `DELETE FROM versions WHERE vid = ?1 AND NOT EXISTS (SELECT 1 FROM submissions WHERE vid = ?1)`, vid); err != nil {
			return fmt.Errorf("deleting: %w", err)
		}
		if _, err := w.ExecContext(ctx, `DELETE FROM obj_values WHERE vid = ?1 AND NOT EXISTS (SELECT 1 FROM versions WHERE vid = ?1)`, vid); err != nil {
			return fmt.Errorf("deleting: %w", err)
		}
	}
	if err := refreshFlags(ctx, w, oid, aud.ID); err != nil {
		return err
	}
	seq, err := w.nextDateAdded(ctx)
	if err != nil {
		return err
	}
	if _, err := w.ExecContext(ctx, `INSERT INTO removals (seq, oid, audience) VALUES (?, ?, ?)`, seq, oid, aud.ID); err != nil {
		return fmt.Errorf("recording removal: %w", err)
	}
	if err := appendAudit(ctx, w, &dragnet.AuditEvent{
		Time: db.now(), OrgID: p.Org.ID, OrgName: p.Org.Name, TokenID: p.TokenID, Remote: p.Remote,
		Action: "objects.delete", Target: collectionID + "/" + id, Outcome: "ok",
		Detail: strconv.Itoa(len(das)) + " versions",
	}); err != nil {
		return err
	}
	w.note(dragnet.Change{Kind: dragnet.ChangeDelete, ObjectID: id})
	return w.commit(ctx)
}

// refreshFlags recomputes the first and latest flags of an object's
// submissions in one audience.
func refreshFlags(ctx context.Context, w *wtx, oid, aud int64) error {
	_, err := w.ExecContext(ctx, `UPDATE submissions SET
		latest = (version_ns = (SELECT max(version_ns) FROM submissions WHERE oid = ?1 AND audience = ?2)),
		first  = (version_ns = (SELECT min(version_ns) FROM submissions WHERE oid = ?1 AND audience = ?2))
		WHERE oid = ?1 AND audience = ?2`, oid, aud)
	if err != nil {
		return fmt.Errorf("updating version flags: %w", err)
	}
	return nil
}
