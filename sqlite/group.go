package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// member is a resolved group member: an organisation or a group.
type member struct {
	name    string
	id      int64
	isGroup bool
}

// resolveMembers resolves organisation and group names; EINVALID for a
// name that is neither.
func resolveMembers(ctx context.Context, q querier, names []string) ([]member, error) {
	out := make([]member, 0, len(names))
	for _, n := range names {
		var id int64
		err := q.QueryRowContext(ctx, `SELECT id FROM orgs WHERE name = ?`, n).Scan(&id)
		if err == nil {
			out = append(out, member{n, id, false})
			continue
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("resolving member: %w", err)
		}
		err = q.QueryRowContext(ctx, `SELECT id FROM groups WHERE name = ?`, n).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, dragnet.Errorf(dragnet.EINVALID, "member %q is not an organisation or a group", n)
		}
		if err != nil {
			return nil, fmt.Errorf("resolving member: %w", err)
		}
		out = append(out, member{n, id, true})
	}
	return out, nil
}

// CreateGroup adds a sharing group and its audience (default TLP AMBER).
// Only the operator may (EFORBIDDEN). Members name organisations or
// groups (EINVALID for an unknown one); the name must not be used by an
// organisation or group (ECONFLICT).
func (db *DB) CreateGroup(ctx context.Context, name string, members []string) (*dragnet.Group, error) {
	if _, err := operator(ctx); err != nil {
		return nil, err
	}
	if err := dragnet.ValidateName("name", name); err != nil {
		return nil, err
	}
	w, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer w.Rollback()
	if taken, err := nameTaken(ctx, w, name); err != nil {
		return nil, err
	} else if taken {
		return nil, dragnet.Errorf(dragnet.ECONFLICT, "name %q is already taken by an organisation or group", name)
	}
	ms, err := resolveMembers(ctx, w, members)
	if err != nil {
		return nil, err
	}
	created := db.now().UTC().Truncate(time.Microsecond)
	res, err := w.ExecContext(ctx, `INSERT INTO groups (name, created) VALUES (?, ?)`, name, micros(created))
	if err != nil {
		return nil, fmt.Errorf("creating group: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return nil, err
	}
	if _, err := createAudience(ctx, w.Tx, dragnet.AudienceGroup, id, name); err != nil {
		return nil, err
	}
	if err := addMembers(ctx, w, id, name, ms); err != nil {
		return nil, err
	}
	g, err := findGroup(ctx, w, name)
	if err != nil {
		return nil, err
	}
	if err := auditAdmin(ctx, w, "group.create", name, strings.Join(members, ",")); err != nil {
		return nil, err
	}
	w.note(dragnet.Change{Kind: dragnet.ChangeAccess})
	return g, w.commit(ctx)
}

// addMembers adds members to group id, refusing cycles.
func addMembers(ctx context.Context, w *wtx, id int64, name string, ms []member) error {
	for _, m := range ms {
		if !m.isGroup {
			if _, err := w.ExecContext(ctx, `INSERT OR IGNORE INTO group_orgs (group_id, org_id) VALUES (?, ?)`, id, m.id); err != nil {
				return fmt.Errorf("adding member: %w", err)
			}
			continue
		}
		if path, err := cyclePath(ctx, w, id, m.id); err != nil {
			return err
		} else if path != nil {
			return dragnet.Errorf(dragnet.EINVALID, "adding group %q to %q would make a cycle: %s", m.name, name, strings.Join(path, " → "))
		}
		if _, err := w.ExecContext(ctx, `INSERT OR IGNORE INTO group_groups (group_id, member_id) VALUES (?, ?)`, id, m.id); err != nil {
			return fmt.Errorf("adding member: %w", err)
		}
	}
	return nil
}

// cyclePath returns the cycle that adding group member to group id would
// make (names, starting and ending with the group), or nil if none.
func cyclePath(ctx context.Context, q querier, id, member int64) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT group_id, member_id FROM group_groups`)
	if err != nil {
		return nil, fmt.Errorf("reading groups: %w", err)
	}
	children := map[int64][]int64{}
	for rows.Next() {
		var g, m int64
		if err := rows.Scan(&g, &m); err != nil {
			rows.Close()
			return nil, err
		}
		children[g] = append(children[g], m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Breadth-first from member looking for id.
	prev := map[int64]int64{member: 0}
	queue := []int64{member}
	found := member == id
	for len(queue) > 0 && !found {
		g := queue[0]
		queue = queue[1:]
		for _, c := range children[g] {
			if _, seen := prev[c]; seen {
				continue
			}
			prev[c] = g
			if c == id {
				found = true
				break
			}
			queue = append(queue, c)
		}
	}
	if !found {
		return nil, nil
	}
	var ids []int64
	for g := id; ; g = prev[g] {
		ids = append([]int64{g}, ids...)
		if g == member {
			break
		}
	}
	ids = append([]int64{id}, ids...)
	if member == id {
		ids = []int64{id, id}
	}
	names := make([]string, len(ids))
	for i, g := range ids {
		if err := q.QueryRowContext(ctx, `SELECT name FROM groups WHERE id = ?`, g).Scan(&names[i]); err != nil {
			return nil, fmt.Errorf("naming group: %w", err)
		}
	}
	return names, nil
}

// AddGroupMembers adds organisations or groups to a group (operator only).
// The change applies at once to everything already shared with the group.
// A group member that would make a cycle is refused with EINVALID naming
// the cycle; ENOTFOUND for an unknown group.
func (db *DB) AddGroupMembers(ctx context.Context, group string, members []string) error {
	return db.changeMembers(ctx, group, members, true)
}

// RemoveGroupMembers removes direct members from a group (operator only);
// EINVALID for a name that is not a direct member.
func (db *DB) RemoveGroupMembers(ctx context.Context, group string, members []string) error {
	return db.changeMembers(ctx, group, members, false)
}

func (db *DB) changeMembers(ctx context.Context, group string, members []string, add bool) error {
	if _, err := operator(ctx); err != nil {
		return err
	}
	w, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer w.Rollback()
	g, err := findGroup(ctx, w, group)
	if err != nil {
		return err
	}
	ms, err := resolveMembers(ctx, w, members)
	if err != nil {
		return err
	}
	w.note(dragnet.Change{Kind: dragnet.ChangeAccess})
	action := "group.members.remove"
	if add {
		action = "group.members.add"
	}
	if err := auditAdmin(ctx, w, action, g.Name, strings.Join(members, ",")); err != nil {
		return err
	}
	if add {
		if err := addMembers(ctx, w, g.ID, g.Name, ms); err != nil {
			return err
		}
		return w.commit(ctx)
	}
	for _, m := range ms {
		q := `DELETE FROM group_orgs WHERE group_id = ? AND org_id = ?`
		if m.isGroup {
			q = `DELETE FROM group_groups WHERE group_id = ? AND member_id = ?`
		}
		res, err := w.ExecContext(ctx, q, g.ID, m.id)
		if err != nil {
			return fmt.Errorf("removing member: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return dragnet.Errorf(dragnet.EINVALID, "%q is not a member of group %q", m.name, g.Name)
		}
	}
	return w.commit(ctx)
}

// FindGroup returns a group with its direct members; ENOTFOUND if none.
func (db *DB) FindGroup(ctx context.Context, name string) (*dragnet.Group, error) {
	if _, err := principal(ctx); err != nil {
		return nil, err
	}
	return findGroup(ctx, db.rd, name)
}

func findGroup(ctx context.Context, q querier, name string) (*dragnet.Group, error) {
	g := &dragnet.Group{Name: name, Orgs: []string{}, Groups: []string{}}
	var created int64
	err := q.QueryRowContext(ctx, `SELECT id, created FROM groups WHERE name = ?`, name).Scan(&g.ID, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, dragnet.Errorf(dragnet.ENOTFOUND, "group %q not found", name)
	}
	if err != nil {
		return nil, fmt.Errorf("finding group: %w", err)
	}
	g.Created = fromMicros(created)
	if g.Orgs, err = names(ctx, q, `SELECT o.name FROM group_orgs m JOIN orgs o ON o.id = m.org_id WHERE m.group_id = ? ORDER BY o.name`, g.ID); err != nil {
		return nil, err
	}
	if g.Groups, err = names(ctx, q, `SELECT x.name FROM group_groups m JOIN groups x ON x.id = m.member_id WHERE m.group_id = ? ORDER BY x.name`, g.ID); err != nil {
		return nil, err
	}
	return g, nil
}

func names(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("listing names: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// ListGroups returns all groups ordered by name.
func (db *DB) ListGroups(ctx context.Context) ([]*dragnet.Group, error) {
	if _, err := principal(ctx); err != nil {
		return nil, err
	}
	ns, err := names(ctx, db.rd, `SELECT name FROM groups ORDER BY name`)
	if err != nil {
		return nil, err
	}
	out := make([]*dragnet.Group, 0, len(ns))
	for _, n := range ns {
		g, err := findGroup(ctx, db.rd, n)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}
