package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix"
)

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("postgres: crypto/rand failed: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// CreateOrg adds an organisation (operator only) with its STIX identity,
// published to the community and owned by the organisation, and its private
// audience. EINVALID for a bad name, country or kind; ECONFLICT if the name
// is taken by an organisation or a group.
func (db *DB) CreateOrg(ctx context.Context, o *dragnet.Org) error {
	if _, err := operator(ctx); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if err := db.createOrg(ctx, tx, o); err != nil {
			return err
		}
		return db.auditAdmin(ctx, tx, "org.create", o.Name, o.Country+" "+string(o.Kind))
	})
}

func (db *DB) createOrg(ctx context.Context, tx pgx.Tx, o *dragnet.Org) error {
	if err := claimName(ctx, tx, o.Name); err != nil {
		return err
	}
	now := db.now().UTC().Truncate(time.Millisecond)
	o.Created = now
	o.Identity = "identity--" + newUUID()
	o.IDKey = dragnet.NewIDKey()
	err := tx.QueryRow(ctx, `INSERT INTO orgs (name, country, kind, identity, operator, created, id_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		o.Name, o.Country, string(o.Kind), o.Identity, o.Operator, now, o.IDKey).Scan(&o.ID)
	if err != nil {
		if isUnique(err) && o.Operator {
			return dragnet.Errorf(dragnet.ECONFLICT, "an operator organisation exists already")
		}
		return fmt.Errorf("creating organisation: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO audiences (kind, ref_id, collection_id, title, default_tlp)
		VALUES ('org', $1, $2, $3, $4)`, o.ID, newUUID(), o.Name, int(dragnet.DefaultTLPFor(dragnet.AudienceOrg))); err != nil {
		return fmt.Errorf("creating organisation audience: %w", err)
	}
	return db.publishIdentity(ctx, tx, o)
}

// publishIdentity stores the organisation's STIX identity in the community
// audience, owned by the organisation, so that members can resolve
// created_by_ref.
func (db *DB) publishIdentity(ctx context.Context, tx pgx.Tx, o *dragnet.Org) error {
	ts := stix.FormatTimestamp(o.Created)
	raw, err := json.Marshal(map[string]any{
		"type":              "identity",
		"spec_version":      "2.1",
		"id":                o.Identity,
		"created":           ts,
		"modified":          ts,
		"name":              o.Name,
		"identity_class":    "organization",
		"x_dragnet_country": o.Country,
		"x_dragnet_kind":    string(o.Kind),
	})
	if err != nil {
		return err
	}
	digest := sha256.Sum256(raw)
	ver := o.Created.UnixNano()
	if _, err := tx.Exec(ctx, `INSERT INTO objects (id, owner) VALUES ($1, $2)`, o.Identity, o.ID); err != nil {
		return fmt.Errorf("storing identity: %w", err)
	}
	var vid int64
	if err := tx.QueryRow(ctx, `INSERT INTO versions (obj_id, version_ns, type, spec_version, revoked, digest, raw, owner)
		VALUES ($1, $2, 'identity', '2.1', false, $3, $4, $5) RETURNING vid`, o.Identity, ver, digest[:], raw, o.ID).Scan(&vid); err != nil {
		return fmt.Errorf("storing identity: %w", err)
	}
	date, err := db.allocDates(ctx, tx, 1)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO submissions (date_added, audience_id, vid, obj_id, version_ns, type, spec_version, revoked, tlp, submitter)
		VALUES ($1, 1, $2, $3, $4, 'identity', '2.1', false, $5, $6)`,
		date, vid, o.Identity, ver, int(dragnet.DefaultTLPFor(dragnet.AudienceCommunity)), o.ID); err != nil {
		return fmt.Errorf("storing identity: %w", err)
	}
	return db.notify(ctx, tx, date)
}

// claimName reserves a name for an organisation or a group (one namespace).
func claimName(ctx context.Context, tx pgx.Tx, name string) error {
	tag, err := tx.Exec(ctx, `INSERT INTO names (name) VALUES ($1) ON CONFLICT DO NOTHING`, name)
	if err != nil {
		return fmt.Errorf("claiming name: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return dragnet.Errorf(dragnet.ECONFLICT, "the name %q is taken by an organisation or a group", name)
	}
	return nil
}

const orgCols = `id, name, country, kind, identity, operator, created, id_key`

func scanOrg(row pgx.Row) (*dragnet.Org, error) {
	var o dragnet.Org
	var kind string
	if err := row.Scan(&o.ID, &o.Name, &o.Country, &kind, &o.Identity, &o.Operator, &o.Created, &o.IDKey); err != nil {
		return nil, err
	}
	o.Kind = dragnet.OrgKind(kind)
	o.Created = o.Created.UTC()
	return &o, nil
}

// FindOrg returns the organisation by name, ENOTFOUND if none.
func (db *DB) FindOrg(ctx context.Context, name string) (*dragnet.Org, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	o, err := scanOrg(db.pool.QueryRow(ctx, `SELECT `+orgCols+` FROM orgs WHERE name = $1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, dragnet.Errorf(dragnet.ENOTFOUND, "no organisation %q", name)
	}
	if err != nil {
		return nil, fmt.Errorf("finding organisation: %w", err)
	}
	return o.ForViewer(p), nil
}

// ListOrgs returns all organisations ordered by name.
func (db *DB) ListOrgs(ctx context.Context) ([]*dragnet.Org, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `SELECT `+orgCols+` FROM orgs ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing organisations: %w", err)
	}
	defer rows.Close()
	var orgs []*dragnet.Org
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, fmt.Errorf("listing organisations: %w", err)
		}
		orgs = append(orgs, o.ForViewer(p))
	}
	return orgs, rows.Err()
}

// EnsureOperator creates the operator organisation (kind node) and an admin
// token on first start, returning the token's secret once; later it returns
// the existing organisation. Nodes starting together create it once: the
// check and the creation run under a transaction advisory lock.
func (db *DB) EnsureOperator(ctx context.Context, name, country string) (*dragnet.Org, string, bool, error) {
	if _, err := operator(ctx); err != nil {
		return nil, "", false, err
	}
	var org *dragnet.Org
	var secret string
	var created bool
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, db.lockKey+1); err != nil {
			return err
		}
		o, err := scanOrg(tx.QueryRow(ctx, `SELECT `+orgCols+` FROM orgs WHERE operator`))
		if err == nil {
			org = o
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		o = &dragnet.Org{Name: name, Country: country, Kind: dragnet.KindNode, Operator: true}
		if err := o.Validate(); err != nil {
			return err
		}
		if err := db.createOrg(ctx, tx, o); err != nil {
			return err
		}
		s, t, err := db.insertToken(ctx, tx, o, dragnet.RoleAdmin, "operator", time.Time{})
		if err != nil {
			return err
		}
		if err := db.auditAdmin(ctx, tx, "operator.create", o.Name, fmt.Sprintf("admin token %d", t.ID)); err != nil {
			return err
		}
		org, secret, created = o, s, true
		return nil
	})
	if err != nil {
		return nil, "", false, wrap("ensuring the operator organisation", err)
	}
	return org, secret, created, nil
}

// wrap adds context to infrastructure errors and passes domain errors as
// they are.
func wrap(what string, err error) error {
	var de *dragnet.Error
	if err == nil || errors.As(err, &de) {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}
