package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/dragnet-intel/dragnet"
)

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// accessSQL selects the audiences organisation $1 may read: the
// community, its own audience, and every group that has it as a member,
// directly or through nested groups, as membership stands now.
const accessSQL = `WITH RECURSIVE up(id) AS (
		SELECT group_id FROM group_members WHERE member_org = $1
		UNION
		SELECT gm.group_id FROM group_members gm JOIN up ON gm.member_group = up.id
	)
	SELECT a.id FROM audiences a
	WHERE a.kind = 'community'
	   OR (a.kind = 'org' AND a.ref_id = $1)
	   OR (a.kind = 'group' AND a.ref_id IN (SELECT id FROM up))
	ORDER BY a.id`

// Access returns the caller's Access, computed now. The system principal
// sees no intelligence: its Access is empty.
func (db *DB) Access(ctx context.Context) (*dragnet.Access, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	return db.access(ctx, db.pool, p)
}

func (db *DB) access(ctx context.Context, q querier, p dragnet.Principal) (*dragnet.Access, error) {
	if p.Org == nil {
		return &dragnet.Access{}, nil
	}
	rows, err := q.Query(ctx, accessSQL, p.Org.ID)
	if err != nil {
		return nil, fmt.Errorf("computing access: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("computing access: %w", err)
	}
	return &dragnet.Access{OrgID: p.Org.ID, Audiences: ids}, nil
}

const audienceCols = `id, kind, ref_id, collection_id, title, default_tlp`

func scanAudience(row pgx.Row) (*dragnet.Audience, error) {
	var a dragnet.Audience
	var kind string
	var tlp int16
	if err := row.Scan(&a.ID, &kind, &a.RefID, &a.CollectionID, &a.Title, &tlp); err != nil {
		return nil, err
	}
	a.Kind = dragnet.AudienceKind(kind)
	a.DefaultTLP = dragnet.TLP(tlp)
	return &a, nil
}

// Collections lists the collections the caller can read (all of its
// Access), with CanWrite for write and admin roles, ordered by audience id.
func (db *DB) Collections(ctx context.Context) ([]*dragnet.Collection, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	acc, err := db.access(ctx, db.pool, p)
	if err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `SELECT `+audienceCols+` FROM audiences WHERE id = ANY($1) ORDER BY id`, acc.Audiences)
	if err != nil {
		return nil, fmt.Errorf("listing collections: %w", err)
	}
	defer rows.Close()
	var cs []*dragnet.Collection
	for rows.Next() {
		a, err := scanAudience(rows)
		if err != nil {
			return nil, fmt.Errorf("listing collections: %w", err)
		}
		cs = append(cs, &dragnet.Collection{Audience: *a, CanRead: true, CanWrite: p.Role.CanWrite()})
	}
	return cs, rows.Err()
}

// Collection returns one collection; ENOTFOUND if it does not exist or the
// caller may not see it (never distinguished).
func (db *DB) Collection(ctx context.Context, id string) (*dragnet.Collection, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	a, _, err := db.visibleAudience(ctx, db.pool, p, id)
	if err != nil {
		return nil, err
	}
	return &dragnet.Collection{Audience: *a, CanRead: true, CanWrite: p.Role.CanWrite()}, nil
}

// visibleAudience returns the audience of a collection id and the caller's
// Access (both in one query), ENOTFOUND unless the caller may read it.
func (db *DB) visibleAudience(ctx context.Context, q querier, p dragnet.Principal, collectionID string) (*dragnet.Audience, *dragnet.Access, error) {
	notFound := dragnet.Errorf(dragnet.ENOTFOUND, "no collection %q", collectionID)
	if p.Org == nil {
		return nil, nil, notFound
	}
	var ids []int64
	var id, ref *int64
	var kind, coll, title *string
	var tlp *int16
	err := q.QueryRow(ctx, `WITH acc AS (`+accessSQL+`)
		SELECT array(SELECT id FROM acc ORDER BY id), x.id, x.kind, x.ref_id, x.collection_id, x.title, x.default_tlp
		FROM (SELECT 1) one LEFT JOIN audiences x ON x.collection_id = $2`, p.Org.ID, collectionID).
		Scan(&ids, &id, &kind, &ref, &coll, &title, &tlp)
	if err != nil {
		return nil, nil, fmt.Errorf("finding collection: %w", err)
	}
	acc := &dragnet.Access{OrgID: p.Org.ID, Audiences: ids}
	if id == nil || !acc.CanSee(*id) {
		return nil, nil, notFound
	}
	a := &dragnet.Audience{ID: *id, Kind: dragnet.AudienceKind(*kind), RefID: *ref, CollectionID: *coll, Title: *title, DefaultTLP: dragnet.TLP(*tlp)}
	return a, acc, nil
}

// audienceOrgs returns the organisations that can read audience a, and
// whether that is everyone (the community).
func audienceOrgs(ctx context.Context, q querier, a *dragnet.Audience) (map[int64]bool, bool, error) {
	switch a.Kind {
	case dragnet.AudienceCommunity:
		return nil, true, nil
	case dragnet.AudienceOrg:
		return map[int64]bool{a.RefID: true}, false, nil
	}
	rows, err := q.Query(ctx, `WITH RECURSIVE down(id) AS (
			SELECT $1::bigint
			UNION
			SELECT gm.member_group FROM group_members gm JOIN down ON gm.group_id = down.id WHERE gm.member_group IS NOT NULL
		)
		SELECT DISTINCT member_org FROM group_members WHERE group_id IN (SELECT id FROM down) AND member_org IS NOT NULL`, a.RefID)
	if err != nil {
		return nil, false, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, false, err
	}
	m := make(map[int64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m, false, nil
}

// audienceWithin reports whether every organisation that can read b can
// also read a (b ⊆ a), as membership stands now.
func audienceWithin(ctx context.Context, q querier, b, a *dragnet.Audience) (bool, error) {
	if a.ID == b.ID {
		return true, nil
	}
	ao, aAll, err := audienceOrgs(ctx, q, a)
	if err != nil || aAll {
		return aAll, err
	}
	bo, bAll, err := audienceOrgs(ctx, q, b)
	if err != nil || bAll {
		return false, err
	}
	for id := range bo {
		if !ao[id] {
			return false, nil
		}
	}
	return true, nil
}
