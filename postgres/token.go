package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dragnet-intel/dragnet"
)

// canAdminOrg reports whether p may manage the tokens of org: the operator,
// or an admin token of that organisation.
func canAdminOrg(p dragnet.Principal, orgID int64) bool {
	return p.IsOperator() || (p.Org != nil && p.Org.ID == orgID && p.Role == dragnet.RoleAdmin)
}

// CreateToken makes a token for the named organisation (operator, or an
// admin of that organisation) and returns its secret, shown only now.
// EINVALID for a bad role, ENOTFOUND for an unknown organisation,
// EFORBIDDEN for anyone else.
func (db *DB) CreateToken(ctx context.Context, orgName string, role dragnet.Role, label string, expires time.Time) (string, *dragnet.Token, error) {
	p, err := principal(ctx)
	if err != nil {
		return "", nil, err
	}
	if !role.Valid() {
		return "", nil, dragnet.Errorf(dragnet.EINVALID, "role %q is not one of read, write, admin", role)
	}
	o, err := db.FindOrg(ctx, orgName)
	if err != nil {
		return "", nil, err
	}
	if !canAdminOrg(p, o.ID) {
		return "", nil, dragnet.Errorf(dragnet.EFORBIDDEN, "only the operator or an admin of %s may create its tokens", o.Name)
	}
	var secret string
	var t *dragnet.Token
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		secret, t, err = db.insertToken(ctx, tx, o, role, label, expires)
		if err != nil {
			return err
		}
		return db.auditAdmin(ctx, tx, "token.create", o.Name, fmt.Sprintf("token %d, role %s", t.ID, role))
	})
	if err != nil {
		return "", nil, wrap("creating token", err)
	}
	return secret, t, nil
}

func (db *DB) insertToken(ctx context.Context, tx pgx.Tx, o *dragnet.Org, role dragnet.Role, label string, expires time.Time) (string, *dragnet.Token, error) {
	secret, hash := dragnet.NewTokenSecret()
	t := &dragnet.Token{OrgID: o.ID, OrgName: o.Name, Role: role, Label: label, Hash: hash,
		Created: db.now().UTC().Truncate(time.Microsecond), Expires: expires.UTC()}
	if expires.IsZero() {
		t.Expires = time.Time{}
	}
	err := tx.QueryRow(ctx, `INSERT INTO tokens (org_id, role, label, hash, created, expires)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		o.ID, string(role), label, hash, t.Created, nullTime(t.Expires)).Scan(&t.ID)
	if err != nil {
		return "", nil, fmt.Errorf("creating token: %w", err)
	}
	return secret, t, nil
}

// lastUsedGrain is how stale tokens.last_used may get: authenticating
// writes it at most this often per token, so reads stay reads.
const lastUsedGrain = time.Minute

// Authenticate resolves a secret to a principal. Unknown, expired, revoked
// or mismatched tokens all give the same EUNAUTHORIZED.
func (db *DB) Authenticate(ctx context.Context, orgName, secret string) (dragnet.Principal, error) {
	denied := dragnet.Errorf(dragnet.EUNAUTHORIZED, "invalid credentials")
	hash := dragnet.HashToken(secret)
	var t dragnet.Token
	var role string
	var expires, revoked, lastUsed *time.Time
	row := db.pool.QueryRow(ctx, `SELECT t.id, t.role, t.hash, t.expires, t.revoked, t.last_used, o.id, o.name, o.country, o.kind, o.identity, o.operator, o.created, o.id_key
		FROM tokens t JOIN orgs o ON o.id = t.org_id WHERE t.hash = $1`, hash)
	var o dragnet.Org
	var kind string
	err := row.Scan(&t.ID, &role, &t.Hash, &expires, &revoked, &lastUsed,
		&o.ID, &o.Name, &o.Country, &kind, &o.Identity, &o.Operator, &o.Created, &o.IDKey)
	if errors.Is(err, pgx.ErrNoRows) {
		return dragnet.Principal{}, denied
	}
	if err != nil {
		return dragnet.Principal{}, fmt.Errorf("authenticating: %w", err)
	}
	o.Kind = dragnet.OrgKind(kind)
	o.Created = o.Created.UTC()
	t.Expires, t.Revoked = fromNull(expires), fromNull(revoked)
	now := db.now()
	if !dragnet.TokenMatches(secret, t.Hash) || !t.Active(now) || (orgName != "" && orgName != o.Name) {
		return dragnet.Principal{}, denied
	}
	if lastUsed == nil || now.Sub(*lastUsed) > lastUsedGrain {
		if _, err := db.pool.Exec(ctx, `UPDATE tokens SET last_used = $2 WHERE id = $1`, t.ID, now.UTC()); err != nil {
			db.log.Warn("recording token use", "token", t.ID, "err", err)
		}
	}
	return dragnet.Principal{Org: &o, Role: dragnet.Role(role), TokenID: t.ID}, nil
}

// ListTokens lists an organisation's tokens, without secrets (operator, or
// an admin of that organisation).
func (db *DB) ListTokens(ctx context.Context, orgName string) ([]*dragnet.Token, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	o, err := db.FindOrg(ctx, orgName)
	if err != nil {
		return nil, err
	}
	if !canAdminOrg(p, o.ID) {
		return nil, dragnet.Errorf(dragnet.EFORBIDDEN, "only the operator or an admin of %s may list its tokens", o.Name)
	}
	rows, err := db.pool.Query(ctx, `SELECT id, role, label, hash, created, expires, revoked, last_used
		FROM tokens WHERE org_id = $1 ORDER BY id`, o.ID)
	if err != nil {
		return nil, fmt.Errorf("listing tokens: %w", err)
	}
	defer rows.Close()
	var ts []*dragnet.Token
	for rows.Next() {
		t := &dragnet.Token{OrgID: o.ID, OrgName: o.Name}
		var role string
		var expires, revoked, lastUsed *time.Time
		if err := rows.Scan(&t.ID, &role, &t.Label, &t.Hash, &t.Created, &expires, &revoked, &lastUsed); err != nil {
			return nil, fmt.Errorf("listing tokens: %w", err)
		}
		t.Role = dragnet.Role(role)
		t.Created = t.Created.UTC()
		t.Expires, t.Revoked, t.LastUsed = fromNull(expires), fromNull(revoked), fromNull(lastUsed)
		ts = append(ts, t)
	}
	return ts, rows.Err()
}

// RevokeToken revokes a token by id (operator, or an admin of the token's
// organisation). ENOTFOUND if there is no such token or the caller may not
// see it.
func (db *DB) RevokeToken(ctx context.Context, id int64) error {
	p, err := principal(ctx)
	if err != nil {
		return err
	}
	var orgID int64
	err = db.pool.QueryRow(ctx, `SELECT org_id FROM tokens WHERE id = $1`, id).Scan(&orgID)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !p.IsOperator() && (p.Org == nil || p.Org.ID != orgID)) {
		return dragnet.Errorf(dragnet.ENOTFOUND, "no token %d", id)
	}
	if err != nil {
		return fmt.Errorf("revoking token: %w", err)
	}
	if !canAdminOrg(p, orgID) {
		return dragnet.Errorf(dragnet.EFORBIDDEN, "only the operator or an admin of the organisation may revoke its tokens")
	}
	return wrap("revoking token", db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE tokens SET revoked = $2 WHERE id = $1 AND revoked IS NULL`, id, db.now().UTC())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return nil // revoked already: nothing happened, nothing to record
		}
		return db.auditAdmin(ctx, tx, "token.revoke", fmt.Sprintf("token %d", id), "")
	}))
}
