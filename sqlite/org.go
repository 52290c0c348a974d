package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
)

const orgCols = `id, name, country, kind, identity, operator, created, id_key`

func scanOrg(sc interface{ Scan(...any) error }) (*dragnet.Org, error) {
	var o dragnet.Org
	var kind string
	var created int64
	if err := sc.Scan(&o.ID, &o.Name, &o.Country, &kind, &o.Identity, &o.Operator, &created, &o.IDKey); err != nil {
		return nil, err
	}
	o.Kind = dragnet.OrgKind(kind)
	o.Created = fromMicros(created)
	return &o, nil
}

// CreateOrg adds an organisation. Only the operator may (EFORBIDDEN). It
// validates o (EINVALID naming the field), refuses a name already used by
// an organisation or a group (ECONFLICT), creates the organisation's
// private audience (default TLP AMBER) and its STIX identity, published to
// the community audience and owned by the organisation so that everyone
// can resolve created_by_ref. It fills o.ID, o.Identity and o.Created.
func (db *DB) CreateOrg(ctx context.Context, o *dragnet.Org) error {
	if _, err := operator(ctx); err != nil {
		return err
	}
	return db.createOrg(ctx, o)
}

func (db *DB) createOrg(ctx context.Context, o *dragnet.Org) error {
	if err := o.Validate(); err != nil {
		return err
	}
	w, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer w.Rollback()
	if err := createOrgTx(ctx, w, o); err != nil {
		return err
	}
	if err := auditAdmin(ctx, w, "org.create", o.Name, o.Country+" "+string(o.Kind)); err != nil {
		return err
	}
	return w.commit(ctx)
}

func createOrgTx(ctx context.Context, w *wtx, o *dragnet.Org) error {
	if taken, err := nameTaken(ctx, w, o.Name); err != nil {
		return err
	} else if taken {
		return dragnet.Errorf(dragnet.ECONFLICT, "name %q is already taken by an organisation or group", o.Name)
	}
	created := w.db.now().UTC().Truncate(time.Millisecond)
	identity := "identity--" + newUUID()
	idKey := dragnet.NewIDKey()
	res, err := w.ExecContext(ctx, `INSERT INTO orgs (name, country, kind, identity, operator, created, id_key) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		o.Name, o.Country, string(o.Kind), identity, o.Operator, micros(created), idKey)
	if err != nil {
		return fmt.Errorf("creating organisation: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	if _, err := createAudience(ctx, w.Tx, dragnet.AudienceOrg, id, o.Name); err != nil {
		return err
	}
	raw, err := json.Marshal(map[string]any{
		"type":              "identity",
		"spec_version":      "2.1",
		"id":                identity,
		"created":           stix.FormatTimestamp(created),
		"modified":          stix.FormatTimestamp(created),
		"name":              o.Name,
		"identity_class":    "organization",
		"x_dragnet_country": o.Country,
		"x_dragnet_kind":    string(o.Kind),
	})
	if err != nil {
		return err
	}
	if err := insertNewObject(ctx, w, newObject{
		id: identity, typ: "identity", spec: "2.1", versionNS: created.UnixNano(), raw: raw,
		audience: 1, tlp: dragnet.DefaultTLPFor(dragnet.AudienceCommunity), org: id, shared: true,
	}); err != nil {
		return err
	}
	o.ID, o.Identity, o.Created, o.IDKey = id, identity, created, idKey
	w.note(dragnet.Change{Kind: dragnet.ChangeAccess})
	return nil
}

// nameTaken reports whether an organisation or group has this name: the
// two share one namespace.
func nameTaken(ctx context.Context, q querier, name string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM orgs WHERE name = ?1) + (SELECT count(*) FROM groups WHERE name = ?1)`, name).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("checking name: %w", err)
	}
	return n > 0, nil
}

// FindOrg returns the organisation by name; ENOTFOUND if none. Any
// authenticated principal may look organisations up.
func (db *DB) FindOrg(ctx context.Context, name string) (*dragnet.Org, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	o, err := findOrg(ctx, db.rd, name)
	if err != nil {
		return nil, err
	}
	return o.ForViewer(p), nil
}

func findOrg(ctx context.Context, q querier, name string) (*dragnet.Org, error) {
	o, err := scanOrg(q.QueryRowContext(ctx, `SELECT `+orgCols+` FROM orgs WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, dragnet.Errorf(dragnet.ENOTFOUND, "organisation %q not found", name)
	}
	if err != nil {
		return nil, fmt.Errorf("finding organisation: %w", err)
	}
	return o, nil
}

// ListOrgs returns all organisations ordered by name.
func (db *DB) ListOrgs(ctx context.Context) ([]*dragnet.Org, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.rd.QueryContext(ctx, `SELECT `+orgCols+` FROM orgs ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing organisations: %w", err)
	}
	defer rows.Close()
	out := []*dragnet.Org{}
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o.ForViewer(p))
	}
	return out, rows.Err()
}

// EnsureOperator creates the operator organisation (kind node) with one
// admin token on first start and returns it with created=true and the
// token's secret (shown only now). Later calls return the existing
// operator, created=false and no secret; name and country are then
// ignored. Only the operator (normally the system principal) may call it.
func (db *DB) EnsureOperator(ctx context.Context, name, country string) (*dragnet.Org, string, bool, error) {
	if _, err := operator(ctx); err != nil {
		return nil, "", false, err
	}
	w, err := db.begin(ctx)
	if err != nil {
		return nil, "", false, err
	}
	defer w.Rollback()
	o, err := scanOrg(w.QueryRowContext(ctx, `SELECT `+orgCols+` FROM orgs WHERE operator = 1 ORDER BY id LIMIT 1`))
	if err == nil {
		return o, "", false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, "", false, fmt.Errorf("finding operator: %w", err)
	}
	o = &dragnet.Org{Name: name, Country: country, Kind: dragnet.KindNode, Operator: true}
	if err := o.Validate(); err != nil {
		return nil, "", false, err
	}
	if err := createOrgTx(ctx, w, o); err != nil {
		return nil, "", false, err
	}
	secret, t, err := createTokenTx(ctx, w, o, dragnet.RoleAdmin, "operator", time.Time{})
	if err != nil {
		return nil, "", false, err
	}
	if err := auditAdmin(ctx, w, "operator.create", o.Name, fmt.Sprintf("admin token %d", t.ID)); err != nil {
		return nil, "", false, err
	}
	if err := w.commit(ctx); err != nil {
		return nil, "", false, err
	}
	return o, secret, true, nil
}
