package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dragnet-intel/dragnet"
)

// member is a resolved member name: an organisation or a group.
type member struct {
	name  string
	org   int64 // set for an organisation
	group int64 // set for a group
}

func resolveMembers(ctx context.Context, tx pgx.Tx, names []string) ([]member, error) {
	var ms []member
	for _, n := range names {
		m := member{name: n}
		err := tx.QueryRow(ctx, `SELECT coalesce((SELECT id FROM orgs WHERE name = $1), 0),
			coalesce((SELECT id FROM groups WHERE name = $1), 0)`, n).Scan(&m.org, &m.group)
		if err != nil {
			return nil, fmt.Errorf("resolving member %q: %w", n, err)
		}
		if m.org == 0 && m.group == 0 {
			return nil, dragnet.Errorf(dragnet.EINVALID, "member %q is neither an organisation nor a group", n)
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// lockGroups serialises membership changes across nodes, so that two
// concurrent changes cannot together make a cycle.
func (db *DB) lockGroups(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, db.lockKey+2)
	return err
}

// CreateGroup adds a sharing group (operator only) with its audience
// (default TLP AMBER). ECONFLICT if the name is taken by a group or an
// organisation; EINVALID for a bad name or an unknown member.
func (db *DB) CreateGroup(ctx context.Context, name string, members []string) (*dragnet.Group, error) {
	if _, err := operator(ctx); err != nil {
		return nil, err
	}
	if err := dragnet.ValidateName("group name", name); err != nil {
		return nil, err
	}
	g := &dragnet.Group{Name: name, Created: db.now().UTC().Truncate(time.Microsecond)}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if err := db.lockGroups(ctx, tx); err != nil {
			return err
		}
		if err := claimName(ctx, tx, name); err != nil {
			return err
		}
		ms, err := resolveMembers(ctx, tx, members)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO groups (name, created) VALUES ($1, $2) RETURNING id`, name, g.Created).Scan(&g.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audiences (kind, ref_id, collection_id, title, default_tlp)
			VALUES ('group', $1, $2, $3, $4)`, g.ID, newUUID(), name, int(dragnet.DefaultTLPFor(dragnet.AudienceGroup))); err != nil {
			return err
		}
		if err := db.addMembers(ctx, tx, g.ID, name, ms); err != nil {
			return err
		}
		return db.auditAdmin(ctx, tx, "group.create", name, strings.Join(members, ","))
	})
	if err != nil {
		return nil, wrap("creating group", err)
	}
	return db.FindGroup(ctx, name)
}

func (db *DB) addMembers(ctx context.Context, tx pgx.Tx, gid int64, gname string, ms []member) error {
	for _, m := range ms {
		if m.org != 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO group_members (group_id, member_org) VALUES ($1, $2) ON CONFLICT DO NOTHING`, gid, m.org); err != nil {
				return err
			}
			continue
		}
		// Adding m under g makes a cycle exactly when g is m or g is
		// reachable downwards from m.
		path, err := groupPath(ctx, tx, m.group, gid)
		if err != nil {
			return err
		}
		if path != nil {
			return dragnet.Errorf(dragnet.EINVALID, "adding group %q to %q would make a cycle: %s",
				m.name, gname, strings.Join(append([]string{gname}, path...), " > "))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO group_members (group_id, member_group) VALUES ($1, $2) ON CONFLICT DO NOTHING`, gid, m.group); err != nil {
			return err
		}
	}
	return db.notifyAccess(ctx, tx)
}

// groupPath returns the names on a path of memberships from group `from`
// down to group `to` (both included), or nil if there is none.
func groupPath(ctx context.Context, tx pgx.Tx, from, to int64) ([]string, error) {
	var path []string
	err := tx.QueryRow(ctx, `WITH RECURSIVE down(id, path) AS (
			SELECT $1::bigint, ARRAY[$1::bigint]
			UNION ALL
			SELECT gm.member_group, d.path || gm.member_group
			FROM group_members gm JOIN down d ON gm.group_id = d.id
			WHERE gm.member_group IS NOT NULL AND NOT gm.member_group = ANY(d.path)
		)
		SELECT array(SELECT g.name FROM unnest(d.path) WITH ORDINALITY AS p(id, n) JOIN groups g ON g.id = p.id ORDER BY p.n)
		FROM down d WHERE d.id = $2 LIMIT 1`, from, to).Scan(&path)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return path, err
}

// AddGroupMembers adds organisations or groups to a group (operator only);
// what is already shared with the group becomes visible to them at once.
// ENOTFOUND for an unknown group, EINVALID for an unknown member or one
// that would make a cycle.
func (db *DB) AddGroupMembers(ctx context.Context, group string, members []string) error {
	if _, err := operator(ctx); err != nil {
		return err
	}
	return wrap("adding group members", db.inTx(ctx, func(tx pgx.Tx) error {
		if err := db.lockGroups(ctx, tx); err != nil {
			return err
		}
		gid, err := groupID(ctx, tx, group)
		if err != nil {
			return err
		}
		ms, err := resolveMembers(ctx, tx, members)
		if err != nil {
			return err
		}
		if err := db.addMembers(ctx, tx, gid, group, ms); err != nil {
			return err
		}
		return db.auditAdmin(ctx, tx, "group.members.add", group, strings.Join(members, ","))
	}))
}

// RemoveGroupMembers removes direct members from a group (operator only);
// they lose sight of what is shared with it at once. ENOTFOUND for an
// unknown group, EINVALID for a name that is not a direct member.
func (db *DB) RemoveGroupMembers(ctx context.Context, group string, members []string) error {
	if _, err := operator(ctx); err != nil {
		return err
	}
	return wrap("removing group members", db.inTx(ctx, func(tx pgx.Tx) error {
		if err := db.lockGroups(ctx, tx); err != nil {
			return err
		}
		gid, err := groupID(ctx, tx, group)
		if err != nil {
			return err
		}
		ms, err := resolveMembers(ctx, tx, members)
		if err != nil {
			return err
		}
		for _, m := range ms {
			tag, err := tx.Exec(ctx, `DELETE FROM group_members WHERE group_id = $1
				AND (member_org = $2 OR member_group = $3)`, gid, m.org, m.group)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return dragnet.Errorf(dragnet.EINVALID, "%q is not a member of group %q", m.name, group)
			}
		}
		if err := db.auditAdmin(ctx, tx, "group.members.remove", group, strings.Join(members, ",")); err != nil {
			return err
		}
		return db.notifyAccess(ctx, tx)
	}))
}

func groupID(ctx context.Context, tx pgx.Tx, name string) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `SELECT id FROM groups WHERE name = $1`, name).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, dragnet.Errorf(dragnet.ENOTFOUND, "no group %q", name)
	}
	return id, err
}

const groupQuery = `SELECT g.id, g.name, g.created,
	array(SELECT o.name FROM group_members m JOIN orgs o ON o.id = m.member_org WHERE m.group_id = g.id ORDER BY o.name),
	array(SELECT s.name FROM group_members m JOIN groups s ON s.id = m.member_group WHERE m.group_id = g.id ORDER BY s.name)
	FROM groups g`

func scanGroup(row pgx.Row) (*dragnet.Group, error) {
	var g dragnet.Group
	if err := row.Scan(&g.ID, &g.Name, &g.Created, &g.Orgs, &g.Groups); err != nil {
		return nil, err
	}
	g.Created = g.Created.UTC()
	sort.Strings(g.Orgs)
	sort.Strings(g.Groups)
	return &g, nil
}

// FindGroup returns a group with its direct members, ENOTFOUND if none.
func (db *DB) FindGroup(ctx context.Context, name string) (*dragnet.Group, error) {
	if _, err := principal(ctx); err != nil {
		return nil, err
	}
	g, err := scanGroup(db.pool.QueryRow(ctx, groupQuery+` WHERE g.name = $1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, dragnet.Errorf(dragnet.ENOTFOUND, "no group %q", name)
	}
	if err != nil {
		return nil, fmt.Errorf("finding group: %w", err)
	}
	return g, nil
}

// ListGroups returns all groups ordered by name.
func (db *DB) ListGroups(ctx context.Context) ([]*dragnet.Group, error) {
	if _, err := principal(ctx); err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, groupQuery+` ORDER BY g.name`)
	if err != nil {
		return nil, fmt.Errorf("listing groups: %w", err)
	}
	defer rows.Close()
	var gs []*dragnet.Group
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, fmt.Errorf("listing groups: %w", err)
		}
		gs = append(gs, g)
	}
	return gs, rows.Err()
}
