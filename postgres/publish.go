package postgres

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/jackc/pgx/v5"

	"github.com/dragnet-intel/dragnet"
)

// insertVersions stores new versions. A version another node stored
// meanwhile is taken if identical and fails the object otherwise.
func insertVersions(ctx context.Context, tx pgx.Tx, ps []*pending, fail func(*pending, error)) error {
	if len(ps) == 0 {
		return nil
	}
	n := len(ps)
	ids, types, specs := make([]string, n), make([]string, n), make([]string, n)
	vers, untils, owners := make([]int64, n), make([]int64, n), make([]int64, n)
	revoked := make([]bool, n)
	digests, raws := make([][]byte, n), make([][]byte, n)
	for i, pd := range ps {
		o := pd.sub.Object
		ids[i], types[i], specs[i], vers[i], revoked[i] = pd.id, o.Type, pd.spec, pd.ver, o.Revoked
		untils[i], digests[i], raws[i], owners[i] = pd.until, pd.digest[:], o.Raw, pd.owner
	}
	// The values of each version go into the value index in the same
	// statement, for the versions it stored.
	var vKinds, vValues, vObjs []string
	var vVers []int64
	for _, pd := range ps {
		vs := pd.sub.Values
		for j, v := range vs {
			// An object carries few values: a look back beats a map.
			if v.Value == "" || slices.Contains(vs[:j], v) {
				continue
			}
			vKinds, vValues = append(vKinds, string(v.Kind)), append(vValues, v.Value)
			vObjs, vVers = append(vObjs, pd.id), append(vVers, pd.ver)
		}
	}
	rows, err := tx.Query(ctx, `WITH ins AS (
			INSERT INTO versions (obj_id, version_ns, type, spec_version, revoked, valid_until_ns, digest, raw, owner)
			SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::boolean[], $6::bigint[], $7::bytea[], $8::bytea[], $13::bigint[])
			ON CONFLICT (obj_id, owner, version_ns) DO NOTHING RETURNING obj_id, version_ns, vid
		), vals AS (
			INSERT INTO obj_values (kind, value, vid)
			SELECT u.kind, u.value, ins.vid
			FROM unnest($9::text[], $10::text[], $11::text[], $12::bigint[]) AS u(kind, value, obj_id, ver)
			JOIN ins ON ins.obj_id = u.obj_id AND ins.version_ns = u.ver
		)
		SELECT obj_id, version_ns, vid FROM ins`,
		ids, vers, types, specs, revoked, untils, digests, raws, vKinds, vValues, vObjs, vVers, owners)
	if err != nil {
		return err
	}
	byKey := make(map[verKey]*pending, n)
	for _, pd := range ps {
		byKey[verKey{pd.id, pd.ver}] = pd
	}
	for rows.Next() {
		var k verKey
		var vid int64
		if err := rows.Scan(&k.id, &k.ver, &vid); err != nil {
			rows.Close()
			return err
		}
		if pd := byKey[k]; pd != nil {
			pd.vid, pd.newVer = vid, true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var raced []string
	var racedOwners []int64
	for _, pd := range ps {
		if !pd.newVer {
			raced, racedOwners = append(raced, pd.id), append(racedOwners, pd.owner)
		}
	}
	if len(raced) == 0 {
		return nil
	}
	ev, err := existingVersions(ctx, tx, raced, racedOwners)
	if err != nil {
		return err
	}
	for _, pd := range ps {
		if pd.newVer {
			continue
		}
		sv, ok := ev[verKey{pd.id, pd.ver}]
		if !ok {
			return fmt.Errorf("version %d of %s neither inserted nor found", pd.ver, pd.id)
		}
		same, err := sameVersion(ctx, tx, sv, pd)
		if err != nil {
			return err
		}
		if !same {
			fail(pd, failure(dragnet.ECONFLICT, msgDifferentContent))
			continue
		}
		pd.vid = sv.vid
	}
	return nil
}

// insertSubmissions publishes the versions to aud, and queues the change
// notice, in one round trip, and returns the last date_added allocated (0
// if none). It runs last before the commit: the date_clock row it locks is
// held until then, so it does as little as possible. A version already
// published to aud is a success that adds nothing (its pending.date stays
// 0).
func (db *DB) insertSubmissions(ctx context.Context, tx pgx.Tx, aud *dragnet.Audience, me int64, ps []*pending) (int64, error) {
	if len(ps) == 0 {
		return 0, nil
	}
	n := len(ps)
	vids, vers, tlps := make([]int64, n), make([]int64, n), make([]int16, n)
	ids, types, specs := make([]string, n), make([]string, n), make([]string, n)
	revoked, latest, first := make([]bool, n), make([]bool, n), make([]bool, n)
	// Ordered by request position: objects are added in the order given.
	sorted := append([]*pending(nil), ps...)
	sort.Slice(sorted, func(a, b int) bool { return sorted[a].i < sorted[b].i })
	for k, pd := range sorted {
		o := pd.sub.Object
		vids[k], vers[k], tlps[k] = pd.vid, pd.ver, int16(pd.tlp)
		ids[k], types[k], specs[k], revoked[k] = pd.id, o.Type, pd.spec, o.Revoked
		latest[k], first[k] = pd.latest, pd.first
	}
	now := db.now().UnixMicro()
	b := &pgx.Batch{}
	b.Queue(`WITH clock AS (
			UPDATE date_clock SET last = greatest(last + $1, $2) RETURNING last
		)
		INSERT INTO submissions (date_added, audience_id, vid, obj_id, version_ns, type, spec_version, revoked, tlp, submitter, latest, first)
		SELECT clock.last - $1 + u.k, $3, v, i, ver, t, sv, r, tlp, $4, l, f
		FROM clock, unnest($5::bigint[], $6::text[], $7::bigint[], $8::text[], $9::text[], $10::boolean[], $11::smallint[], $12::boolean[], $13::boolean[])
			WITH ORDINALITY AS u(v, i, ver, t, sv, r, tlp, l, f, k)
		ON CONFLICT (vid, audience_id) DO NOTHING RETURNING date_added, vid`,
		n, now+int64(n)-1, aud.ID, me, vids, ids, vers, types, specs, revoked, tlps, latest, first)
	b.Queue(`SELECT last, pg_notify($1, 'a:' || last) FROM date_clock`, db.channel)
	br := tx.SendBatch(ctx, b)
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return 0, err
	}
	byVid := make(map[int64]*pending, n)
	for _, pd := range sorted {
		byVid[pd.vid] = pd
	}
	for rows.Next() {
		var date, vid int64
		if err := rows.Scan(&date, &vid); err != nil {
			rows.Close()
			br.Close()
			return 0, err
		}
		byVid[vid].date = date
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		br.Close()
		return 0, err
	}
	var last int64
	if err := br.QueryRow().Scan(&last, new(any)); err != nil {
		br.Close()
		return 0, err
	}
	return last, br.Close()
}

// allocDates allocates n consecutive date_added values and returns the
// last. The counter row stays locked until the transaction ends, so dates
// are allocated in commit order across every node.
func (db *DB) allocDates(ctx context.Context, tx pgx.Tx, n int) (int64, error) {
	var last int64
	now := db.now().UnixMicro()
	err := tx.QueryRow(ctx, `UPDATE date_clock SET last = greatest(last + $1, $2) RETURNING last`, n, now+int64(n)-1).Scan(&last)
	if err != nil {
		return 0, fmt.Errorf("allocating date_added: %w", err)
	}
	return last, nil
}
