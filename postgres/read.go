package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
)

// Paging limits (TAXII 2.1 section 3.4: the server may cap limit).
const (
	DefaultLimit = 1000
	MaxLimit     = 10000
)

// filterSQL turns the TAXII match[] filters into conditions on submissions
// s, with arguments numbered from len(args)+1. versionsDefault is what an
// empty match[version] means ("last" for listing, "all" for deleting).
func filterSQL(f dragnet.Filter, versionsDefault string, args []any) (string, []any, error) {
	var where []string
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if len(f.IDs) > 0 {
		where = append(where, "s.obj_id = ANY("+arg(f.IDs)+")")
	}
	if len(f.Types) > 0 {
		where = append(where, "s.type = ANY("+arg(f.Types)+")")
	}
	versions := f.Versions
	if len(versions) == 0 {
		versions = []string{versionsDefault}
	}
	var first, last, all bool
	var stamps []int64
	for _, v := range versions {
		switch v {
		case "first":
			first = true
		case "last":
			last = true
		case "all":
			all = true
		default:
			t, err := stix.ParseTimestamp(v)
			if err != nil {
				return "", nil, dragnet.Errorf(dragnet.EINVALID, "match[version]: %q is not first, last, all or a STIX timestamp", v)
			}
			stamps = append(stamps, t.UnixNano())
		}
	}
	for _, sv := range f.SpecVersions {
		if sv != "2.0" && sv != "2.1" {
			return "", nil, dragnet.Errorf(dragnet.EINVALID, "match[spec_version]: %q is not 2.0 or 2.1", sv)
		}
	}
	for _, t := range f.Types {
		if t == "" {
			return "", nil, dragnet.Errorf(dragnet.EINVALID, "match[type]: empty type")
		}
	}
	const newer = `NOT EXISTS (SELECT 1 FROM submissions x WHERE x.audience_id = s.audience_id AND x.obj_id = s.obj_id AND `
	if !all {
		var or []string
		if last {
			or = append(or, "s.latest")
		}
		if first {
			or = append(or, "s.first")
		}
		if len(stamps) > 0 {
			// Objects with neither modified nor created have date_added
			// as their version.
			us := make([]int64, len(stamps))
			for i, ns := range stamps {
				us[i] = ns / 1000
			}
			or = append(or, "s.version_ns = ANY("+arg(stamps)+") OR (s.version_ns = 0 AND s.date_added = ANY("+arg(us)+"))")
		}
		where = append(where, "("+strings.Join(or, " OR ")+")")
	}
	switch {
	case len(f.SpecVersions) == 0:
		// Nearly every object is at the newest spec version, which spares
		// the probe.
		where = append(where, "(s.spec_version = '"+newestSpec+"' OR "+newer+"x.spec_version > s.spec_version))")
	default:
		where = append(where, "s.spec_version = ANY("+arg(f.SpecVersions)+")")
	}
	if len(where) == 0 {
		return "", args, nil
	}
	return " AND " + strings.Join(where, " AND "), args, nil
}

// filterKey fingerprints the filters a cursor belongs to (everything but
// limit and next).
func filterKey(collectionID string, f dragnet.Filter) uint32 {
	h := sha256.New()
	binary.Write(h, binary.BigEndian, f.AddedAfter.UnixMicro())
	for _, part := range [][]string{{collectionID}, f.IDs, f.Types, f.Versions, f.SpecVersions} {
		for _, s := range part {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
		h.Write([]byte{1})
	}
	return binary.BigEndian.Uint32(h.Sum(nil))
}

func encodeCursor(date int64, key uint32) string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(date))
	binary.BigEndian.PutUint32(b[8:], key)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func decodeCursor(s string, key uint32) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 12 {
		return 0, dragnet.Errorf(dragnet.EINVALID, "next: %q is not a cursor this server issued", s)
	}
	if binary.BigEndian.Uint32(b[8:]) != key {
		return 0, dragnet.Errorf(dragnet.EINVALID, "next: the cursor belongs to a listing with other filters")
	}
	return int64(binary.BigEndian.Uint64(b[:8])), nil
}

// Objects lists the versions published to a collection in date_added
// order, filtered as TAXII 2.1 section 3.4 defines (added_after exclusive;
// match[version] defaults to last, match[spec_version] to the newest spec
// version of each object; limit defaults to DefaultLimit and is capped at
// MaxLimit). ENOTFOUND unless the caller may read the collection; EINVALID
// for a bad filter or a cursor used with other filters.
func (db *DB) Objects(ctx context.Context, collectionID string, f dragnet.Filter, withRaw bool) (*dragnet.Page, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if f.Limit < 0 {
		return nil, dragnet.Errorf(dragnet.EINVALID, "limit: %d is negative", f.Limit)
	}
	limit := f.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	key := filterKey(collectionID, f)
	after := int64(-1 << 62)
	if !f.AddedAfter.IsZero() {
		after = f.AddedAfter.UnixMicro()
	}
	if f.Next != "" {
		if after, err = decodeCursor(f.Next, key); err != nil {
			return nil, err
		}
	}
	aud, _, err := db.visibleAudience(ctx, db.pool, p, collectionID)
	if err != nil {
		return nil, err
	}
	cond, args, err := filterSQL(f, "last", []any{aud.ID, after, limit + 1})
	if err != nil {
		return nil, err
	}
	cols, join := "NULL::bytea", ""
	if withRaw {
		cols, join = "v.raw", " JOIN versions v ON v.vid = s.vid"
	}
	rows, err := db.pool.Query(ctx, `SELECT s.date_added, s.obj_id, s.type, s.spec_version, s.version_ns, s.revoked, s.tlp, s.submitter, `+cols+`
		FROM submissions s`+join+`
		WHERE s.audience_id = $1 AND s.date_added > $2`+cond+`
		ORDER BY s.date_added LIMIT $3`, args...)
	if err != nil {
		return nil, fmt.Errorf("listing objects: %w", err)
	}
	defer rows.Close()
	page := &dragnet.Page{Objects: make([]*dragnet.StoredObject, 0, min(limit, 1024))}
	var lastDate int64
	for rows.Next() {
		if len(page.Objects) == limit {
			page.More = true
			break
		}
		o := &dragnet.StoredObject{AudienceID: aud.ID}
		var date, ver int64
		var tlp int16
		var raw []byte
		if err := rows.Scan(&date, &o.ID, &o.Type, &o.SpecVersion, &ver, &o.Revoked, &tlp, &o.Submitter, &raw); err != nil {
			return nil, fmt.Errorf("listing objects: %w", err)
		}
		o.DateAdded, o.Version, o.TLP = micros(date), versionTime(ver, date), dragnet.TLP(tlp)
		if withRaw {
			o.Raw = raw
		}
		lastDate = date
		page.Objects = append(page.Objects, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing objects: %w", err)
	}
	if page.More {
		page.Next = encodeCursor(lastDate, key)
	}
	return page, nil
}

// DeleteObject removes the versions of object id that f selects
// (match[version], default all; match[spec_version]) from a collection.
// ENOTFOUND if the caller cannot see the collection or nothing matched;
// EFORBIDDEN for a read token or when the caller's organisation did not
// author the object. Versions no longer published anywhere are removed
// with their values; the object's authorship stays, so no one else can
// take the id over. The removal is recorded for ValueChanges.
func (db *DB) DeleteObject(ctx context.Context, collectionID, id string, f dragnet.Filter) error {
	p, err := principal(ctx)
	if err != nil {
		return err
	}
	if p.Org != nil && !p.Role.CanWrite() {
		return dragnet.Errorf(dragnet.EFORBIDDEN, "a %s token cannot delete", p.Role)
	}
	return wrap("deleting object", db.inTx(ctx, func(tx pgx.Tx) error {
		aud, _, err := db.visibleAudience(ctx, tx, p, collectionID)
		if err != nil {
			return err
		}
		f.IDs, f.Types = []string{id}, nil
		cond, args, err := filterSQL(f, "all", []any{aud.ID})
		if err != nil {
			return err
		}
		notFound := dragnet.Errorf(dragnet.ENOTFOUND, "object %q not found in collection %q", id, collectionID)
		var owner int64
		var shared bool
		// Within one audience an id belongs to one organisation's object.
		err = tx.QueryRow(ctx, `SELECT v.owner, o.shared FROM submissions s JOIN versions v ON v.vid = s.vid
			JOIN objects o ON o.id = v.obj_id AND o.owner = v.owner
			WHERE s.audience_id = $1 AND s.obj_id = $2 LIMIT 1`, aud.ID, id).Scan(&owner, &shared)
		if err == pgx.ErrNoRows {
			return notFound
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT s.date_added, s.vid, s.submitter FROM submissions s WHERE s.audience_id = $1`+cond, args...)
		if err != nil {
			return err
		}
		var dates, vids []int64
		allMine := p.Org != nil
		for rows.Next() {
			var d, v, by int64
			if err := rows.Scan(&d, &v, &by); err != nil {
				rows.Close()
				return err
			}
			dates, vids = append(dates, d), append(vids, v)
			allMine = allMine && by == p.Org.ID
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(dates) == 0 {
			return notFound
		}
		// A member's object is removed by its author only; an SCO or a
		// third party's object also by whoever published the versions
		// removed.
		if (p.Org == nil || owner != p.Org.ID) && (shared || !allMine) {
			if !shared {
				return dragnet.Errorf(dragnet.EFORBIDDEN, msgNotPublisher, id)
			}
			return dragnet.Errorf(dragnet.EFORBIDDEN, msgNotAuthor, id)
		}
		if err := lockObjects(ctx, tx, []string{id}); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM submissions WHERE date_added = ANY($1)`, dates); err != nil {
			return err
		}
		if err := refreshFlags(ctx, tx, aud.ID, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `WITH gone AS (
				DELETE FROM versions v WHERE v.vid = ANY($1)
				AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.vid = v.vid) RETURNING v.vid)
			DELETE FROM obj_values WHERE vid IN (SELECT vid FROM gone)`, vids); err != nil {
			return err
		}
		if err := db.audit(ctx, tx, &dragnet.AuditEvent{OrgID: p.Org.ID, OrgName: p.Org.Name, TokenID: p.TokenID,
			Remote: p.Remote, Action: "objects.delete", Target: collectionID + "/" + id, Outcome: "ok",
			Detail: strconv.Itoa(len(dates)) + " versions"}); err != nil {
			return err
		}
		// Last: the clock row stays locked until commit.
		seq, err := db.allocDates(ctx, tx, 1)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO removals (seq, obj_id, audience_id) VALUES ($1, $2, $3)`, seq, id, aud.ID); err != nil {
			return err
		}
		return db.notifyDelete(ctx, tx, id)
	}))
}
