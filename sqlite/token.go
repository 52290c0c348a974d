package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// lastUsedEvery is how stale a token's recorded last use may get before
// Authenticate writes it again: recording every request would put a write
// on every read.
const lastUsedEvery = time.Minute

// CreateToken makes a token for the named organisation and returns its
// secret (only the SHA-256 hash is stored). The operator may create tokens
// for any organisation, an organisation admin for its own; others get
// EFORBIDDEN. EINVALID for a bad role, ENOTFOUND for an unknown
// organisation.
func (db *DB) CreateToken(ctx context.Context, org string, role dragnet.Role, label string, expires time.Time) (string, *dragnet.Token, error) {
	p, err := principal(ctx)
	if err != nil {
		return "", nil, err
	}
	if !role.Valid() {
		return "", nil, dragnet.Errorf(dragnet.EINVALID, "role %q is not one of read, write, admin", role)
	}
	if !p.IsOperator() && !(p.Org != nil && p.Org.Name == org && p.Role == dragnet.RoleAdmin) {
		return "", nil, dragnet.Errorf(dragnet.EFORBIDDEN, "only the operator or an admin of %q may create its tokens", org)
	}
	w, err := db.begin(ctx)
	if err != nil {
		return "", nil, err
	}
	defer w.Rollback()
	o, err := findOrg(ctx, w, org)
	if err != nil {
		return "", nil, err
	}
	secret, t, err := createTokenTx(ctx, w, o, role, label, expires)
	if err != nil {
		return "", nil, err
	}
	if err := auditAdmin(ctx, w, "token.create", org, fmt.Sprintf("token %d, role %s", t.ID, role)); err != nil {
		return "", nil, err
	}
	if err := w.commit(ctx); err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

func createTokenTx(ctx context.Context, w *wtx, o *dragnet.Org, role dragnet.Role, label string, expires time.Time) (string, *dragnet.Token, error) {
	secret, hash := dragnet.NewTokenSecret()
	now := w.db.now().UTC().Truncate(time.Microsecond)
	res, err := w.ExecContext(ctx, `INSERT INTO tokens (org_id, role, label, hash, created, expires) VALUES (?, ?, ?, ?, ?, ?)`,
		o.ID, string(role), label, hash, micros(now), micros(expires))
	if err != nil {
		return "", nil, fmt.Errorf("creating token: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return "", nil, err
	}
	t := &dragnet.Token{ID: id, OrgID: o.ID, OrgName: o.Name, Role: role, Label: label, Hash: hash, Created: now, Expires: fromMicros(micros(expires))}
	return secret, t, nil
}

// Authenticate resolves a secret to a principal. org, when not empty, must
// be the token's organisation. Unknown, expired, revoked and mismatched
// tokens all give the same EUNAUTHORIZED. The stored hash is compared in
// constant time. Needs no principal in ctx.
func (db *DB) Authenticate(ctx context.Context, org, secret string) (dragnet.Principal, error) {
	denied := dragnet.Errorf(dragnet.EUNAUTHORIZED, "invalid credentials")
	hash := dragnet.HashToken(secret)
	var (
		t        dragnet.Token
		role     string
		created  int64
		expires  int64
		revoked  int64
		lastUsed int64
	)
	row := db.rd.QueryRowContext(ctx, `SELECT t.id, t.role, t.label, t.hash, t.created, t.expires, t.revoked, t.last_used, `+prefixed("o.", orgCols)+`
		FROM tokens t JOIN orgs o ON o.id = t.org_id WHERE t.hash = ?`, hash)
	var o dragnet.Org
	var kind string
	var orgCreated int64
	err := row.Scan(&t.ID, &role, &t.Label, &t.Hash, &created, &expires, &revoked, &lastUsed,
		&o.ID, &o.Name, &o.Country, &kind, &o.Identity, &o.Operator, &orgCreated, &o.IDKey)
	if errors.Is(err, sql.ErrNoRows) {
		return dragnet.Principal{}, denied
	}
	if err != nil {
		return dragnet.Principal{}, fmt.Errorf("authenticating: %w", err)
	}
	o.Kind, o.Created = dragnet.OrgKind(kind), fromMicros(orgCreated)
	t.Expires, t.Revoked = fromMicros(expires), fromMicros(revoked)
	now := db.now()
	if !dragnet.TokenMatches(secret, t.Hash) || !t.Active(now) || (org != "" && org != o.Name) {
		return dragnet.Principal{}, denied
	}
	if now.Sub(fromMicros(lastUsed)) > lastUsedEvery {
		// In the background: the request need not wait for the writer.
		go func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if _, err := db.w.ExecContext(ctx, `UPDATE tokens SET last_used = ? WHERE id = ? AND last_used < ?`, micros(now), t.ID, micros(now)); err != nil {
				db.log.Warn("recording token use", "token", t.ID, "err", err)
			}
		}()
	}
	return dragnet.Principal{Org: &o, Role: dragnet.Role(role), TokenID: t.ID}, nil
}

// ListTokens lists an organisation's tokens, without secrets, oldest
// first: the operator any organisation's, an organisation admin its own;
// others EFORBIDDEN.
func (db *DB) ListTokens(ctx context.Context, org string) ([]*dragnet.Token, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if !p.IsOperator() && !(p.Org != nil && p.Org.Name == org && p.Role == dragnet.RoleAdmin) {
		return nil, dragnet.Errorf(dragnet.EFORBIDDEN, "only the operator or an admin of %q may list its tokens", org)
	}
	o, err := findOrg(ctx, db.rd, org)
	if err != nil {
		return nil, err
	}
	rows, err := db.rd.QueryContext(ctx, `SELECT id, role, label, hash, created, expires, revoked, last_used FROM tokens WHERE org_id = ? ORDER BY id`, o.ID)
	if err != nil {
		return nil, fmt.Errorf("listing tokens: %w", err)
	}
	defer rows.Close()
	out := []*dragnet.Token{}
	for rows.Next() {
		t := &dragnet.Token{OrgID: o.ID, OrgName: o.Name}
		var role string
		var created, expires, revoked, lastUsed int64
		if err := rows.Scan(&t.ID, &role, &t.Label, &t.Hash, &created, &expires, &revoked, &lastUsed); err != nil {
			return nil, err
		}
		t.Role = dragnet.Role(role)
		t.Created, t.Expires, t.Revoked, t.LastUsed = fromMicros(created), fromMicros(expires), fromMicros(revoked), fromMicros(lastUsed)
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes a token by id: the operator any, an organisation
// admin its own organisation's. ENOTFOUND when the token does not exist or
// belongs to an organisation the caller does not administer.
func (db *DB) RevokeToken(ctx context.Context, id int64) error {
	p, err := principal(ctx)
	if err != nil {
		return err
	}
	if !p.IsOperator() && !(p.Org != nil && p.Role == dragnet.RoleAdmin) {
		return dragnet.Errorf(dragnet.EFORBIDDEN, "only the operator or an organisation admin may revoke tokens")
	}
	w, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer w.Rollback()
	var orgID, revoked int64
	err = w.QueryRowContext(ctx, `SELECT org_id, revoked FROM tokens WHERE id = ?`, id).Scan(&orgID, &revoked)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !p.IsOperator() && orgID != p.Org.ID) {
		return dragnet.Errorf(dragnet.ENOTFOUND, "token %d not found", id)
	}
	if err != nil {
		return fmt.Errorf("finding token: %w", err)
	}
	if revoked == 0 {
		if _, err := w.ExecContext(ctx, `UPDATE tokens SET revoked = ? WHERE id = ?`, micros(db.now()), id); err != nil {
			return fmt.Errorf("revoking token: %w", err)
		}
		if err := auditAdmin(ctx, w, "token.revoke", fmt.Sprintf("token %d", id), ""); err != nil {
			return err
		}
	}
	return w.commit(ctx)
}

// prefixed qualifies each column of a comma-separated list.
func prefixed(prefix, cols string) string {
	out := ""
	for i, c := range splitCols(cols) {
		if i > 0 {
			out += ", "
		}
		out += prefix + c
	}
	return out
}

func splitCols(cols string) []string {
	var out []string
	cur := ""
	for _, r := range cols {
		switch r {
		case ',':
			out = append(out, cur)
			cur = ""
		case ' ', '\t', '\n':
		default:
			cur += string(r)
		}
	}
	return append(out, cur)
}
