package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"

	"github.com/dragnet-intel/dragnet"
)

// querier is what *sql.DB, *sql.Conn and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// accessQuery lists the audiences organisation ?1 may read: the community,
// its own audience, and every group whose transitive membership includes it.
const accessQuery = `
WITH RECURSIVE g(id) AS (
	SELECT group_id FROM group_orgs WHERE org_id = ?1
	UNION
	SELECT gg.group_id FROM group_groups gg JOIN g ON gg.member_id = g.id
)
SELECT id FROM audiences WHERE id = 1
UNION SELECT id FROM audiences WHERE kind = 'org' AND ref_id = ?1
UNION SELECT a.id FROM audiences a JOIN g ON a.kind = 'group' AND a.ref_id = g.id
ORDER BY 1`

// access computes the Access of p now. The system principal's is empty: it
// administers the hub but sees no one's intelligence.
func access(ctx context.Context, q querier, p dragnet.Principal) (*dragnet.Access, error) {
	a := &dragnet.Access{}
	if p.Org == nil {
		return a, nil
	}
	a.OrgID = p.Org.ID
	rows, err := q.QueryContext(ctx, accessQuery, p.Org.ID)
	if err != nil {
		return nil, fmt.Errorf("computing access: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		a.Audiences = append(a.Audiences, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("computing access: %w", err)
	}
	sort.Slice(a.Audiences, func(i, j int) bool { return a.Audiences[i] < a.Audiences[j] })
	return a, nil
}

// Access returns the caller's Access, computed from group membership at
// the moment of the call: the community audience, the caller's own
// organisation's audience, and every group that includes the organisation
// directly or through nested groups. The system principal's Access is
// empty. EUNAUTHORIZED without a principal.
func (db *DB) Access(ctx context.Context) (*dragnet.Access, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	return access(ctx, db.rd, p)
}

const audienceCols = `id, kind, ref_id, collection_id, title, default_tlp`

func scanAudience(sc interface{ Scan(...any) error }) (*dragnet.Audience, error) {
	var a dragnet.Audience
	var kind string
	var tlp int
	if err := sc.Scan(&a.ID, &kind, &a.RefID, &a.CollectionID, &a.Title, &tlp); err != nil {
		return nil, err
	}
	a.Kind = dragnet.AudienceKind(kind)
	a.DefaultTLP = dragnet.TLP(tlp)
	return &a, nil
}

// Collections lists the collections the caller can read: exactly the
// audiences of its Access, ordered by audience id. CanWrite follows the
// token's role (write or admin).
func (db *DB) Collections(ctx context.Context) ([]*dragnet.Collection, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	acc, err := access(ctx, db.rd, p)
	if err != nil {
		return nil, err
	}
	if len(acc.Audiences) == 0 {
		return []*dragnet.Collection{}, nil
	}
	args := make([]any, len(acc.Audiences))
	for i, id := range acc.Audiences {
		args[i] = id
	}
	rows, err := db.rd.QueryContext(ctx, `SELECT `+audienceCols+` FROM audiences WHERE id IN (`+placeholders(len(args))+`) ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("listing collections: %w", err)
	}
	defer rows.Close()
	out := []*dragnet.Collection{}
	for rows.Next() {
		a, err := scanAudience(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, &dragnet.Collection{Audience: *a, CanRead: true, CanWrite: p.Role.CanWrite()})
	}
	return out, rows.Err()
}

// Collection returns one collection of the caller's Access; ENOTFOUND if
// it does not exist or the caller may not see it (one error for both).
func (db *DB) Collection(ctx context.Context, id string) (*dragnet.Collection, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	a, _, err := visibleAudience(ctx, db.rd, p, id)
	if err != nil {
		return nil, err
	}
	return &dragnet.Collection{Audience: *a, CanRead: true, CanWrite: p.Role.CanWrite()}, nil
}

// visibleAudience resolves a collection id the caller may read, with the
// caller's Access; ENOTFOUND otherwise.
func visibleAudience(ctx context.Context, q querier, p dragnet.Principal, collectionID string) (*dragnet.Audience, *dragnet.Access, error) {
	notFound := dragnet.Errorf(dragnet.ENOTFOUND, "collection %q not found", collectionID)
	if p.Org == nil {
		return nil, nil, notFound
	}
	a, err := scanAudience(q.QueryRowContext(ctx, `SELECT `+audienceCols+` FROM audiences WHERE collection_id = ?`, collectionID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, notFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("finding collection: %w", err)
	}
	acc, err := access(ctx, q, p)
	if err != nil {
		return nil, nil, err
	}
	if !acc.CanSee(a.ID) {
		return nil, nil, notFound
	}
	return a, acc, nil
}

// createAudience adds the audience of a new organisation or group.
func createAudience(ctx context.Context, tx *sql.Tx, kind dragnet.AudienceKind, refID int64, title string) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO audiences (kind, ref_id, collection_id, title, default_tlp) VALUES (?, ?, ?, ?, ?)`,
		string(kind), refID, newUUID(), title, int(dragnet.DefaultTLPFor(kind)))
	if err != nil {
		return 0, fmt.Errorf("creating audience: %w", err)
	}
	return res.LastInsertId()
}

// memberOrgs returns the organisations that can read audience a: nil for
// the community (everyone), the organisation itself, or a group's
// transitive member organisations.
func memberOrgs(ctx context.Context, q querier, a *dragnet.Audience) (map[int64]bool, error) {
	switch a.Kind {
	case dragnet.AudienceCommunity:
		return nil, nil
	case dragnet.AudienceOrg:
		return map[int64]bool{a.RefID: true}, nil
	}
	rows, err := q.QueryContext(ctx, `
WITH RECURSIVE g(id) AS (
	SELECT ?1
	UNION
	SELECT gg.member_id FROM group_groups gg JOIN g ON gg.group_id = g.id
)
SELECT DISTINCT go.org_id FROM group_orgs go JOIN g ON go.group_id = g.id`, a.RefID)
	if err != nil {
		return nil, fmt.Errorf("listing group members: %w", err)
	}
	defer rows.Close()
	m := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		m[id] = true
	}
	return m, rows.Err()
}
