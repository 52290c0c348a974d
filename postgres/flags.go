package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Every submission carries two flags: latest (the newest version of its
// object in its audience) and first (the oldest). A writer that publishes
// versions of objects that existed before, or removes some, first locks
// those objects' rows in objects (in id order); under that lock each of its
// statements sees every committed submission of them, so the flags it
// computes stay right whatever other nodes do. Objects new to the store are
// locked by the row this request inserted for them, and have no other
// submissions.

// lockObjects takes the row locks of ids (sorted) until the transaction
// ends.
func lockObjects(ctx context.Context, tx pgx.Tx, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `SELECT 1 FROM objects WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE`, ids)
	return err
}

// versionRange is the newest and oldest version of an object in an
// audience.
type versionRange struct{ max, min int64 }

// setFlags decides latest and first of the new submissions ps (all to one
// audience) and clears them on the older submissions they supersede.
// olds holds the ids that existed before this request (locked by now).
func setFlags(ctx context.Context, tx pgx.Tx, audID int64, ps []*pending, olds map[string]bool) error {
	ranges := map[string]*versionRange{}
	var oldIDs []string
	for _, pd := range ps {
		if olds[pd.id] {
			if _, ok := ranges[pd.id]; !ok {
				oldIDs = append(oldIDs, pd.id)
			}
			ranges[pd.id] = nil
		}
	}
	if len(oldIDs) > 0 {
		rows, err := tx.Query(ctx, `SELECT obj_id, max(version_ns), min(version_ns) FROM submissions
			WHERE audience_id = $1 AND obj_id = ANY($2) GROUP BY obj_id`, audID, oldIDs)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var r versionRange
			if err := rows.Scan(&id, &r.max, &r.min); err != nil {
				rows.Close()
				return err
			}
			ranges[id] = &r
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	// The batch's own versions count too.
	batch := map[string]*versionRange{}
	for _, pd := range ps {
		r := batch[pd.id]
		if r == nil {
			batch[pd.id] = &versionRange{pd.ver, pd.ver}
			continue
		}
		r.max, r.min = max(r.max, pd.ver), min(r.min, pd.ver)
	}
	var newerIDs, olderIDs []string
	var newerVers, olderVers []int64
	for id, b := range batch {
		old := ranges[id]
		if old == nil {
			continue
		}
		if b.max > old.max {
			newerIDs, newerVers = append(newerIDs, id), append(newerVers, b.max)
		}
		if b.min < old.min {
			olderIDs, olderVers = append(olderIDs, id), append(olderVers, b.min)
		}
		b.max, b.min = max(b.max, old.max), min(b.min, old.min)
	}
	for _, pd := range ps {
		b := batch[pd.id]
		pd.latest, pd.first = pd.ver == b.max, pd.ver == b.min
	}
	if len(newerIDs) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE submissions s SET latest = false
			FROM unnest($2::text[], $3::bigint[]) AS u(id, ver)
			WHERE s.audience_id = $1 AND s.obj_id = u.id AND s.latest AND s.version_ns < u.ver`, audID, newerIDs, newerVers); err != nil {
			return err
		}
	}
	if len(olderIDs) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE submissions s SET first = false
			FROM unnest($2::text[], $3::bigint[]) AS u(id, ver)
			WHERE s.audience_id = $1 AND s.obj_id = u.id AND s.first AND s.version_ns > u.ver`, audID, olderIDs, olderVers); err != nil {
			return err
		}
	}
	return nil
}

// refreshFlags recomputes latest and first of an object's submissions in
// one audience (after some were removed; the object's row is locked).
func refreshFlags(ctx context.Context, tx pgx.Tx, audID int64, id string) error {
	_, err := tx.Exec(ctx, `UPDATE submissions s SET latest = (s.version_ns = m.mx), first = (s.version_ns = m.mn)
		FROM (SELECT max(version_ns) AS mx, min(version_ns) AS mn FROM submissions WHERE audience_id = $1 AND obj_id = $2) m
		WHERE s.audience_id = $1 AND s.obj_id = $2`, audID, id)
	return err
}
