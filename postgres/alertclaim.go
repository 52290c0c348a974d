package postgres

import (
	"context"
	"hash/crc32"

	"github.com/dragnet-intel/dragnet"
)

var _ dragnet.AlertClaimer = (*DB)(nil)

// ClaimAlert implements dragnet.AlertClaimer. About one claim in 512 also
// forgets the claims older than a day, so the table stays small.
func (db *DB) ClaimAlert(ctx context.Context, id string) (bool, error) {
	if err := system(ctx); err != nil {
		return false, err
	}
	tag, err := db.pool.Exec(ctx, `INSERT INTO alert_claims (id, claimed) VALUES ($1, now()) ON CONFLICT (id) DO NOTHING`, id)
	if err != nil {
		return false, wrap("claiming an alert", err)
	}
	if crc32.ChecksumIEEE([]byte(id))%512 == 0 {
		if _, err := db.pool.Exec(ctx, `DELETE FROM alert_claims WHERE claimed < now() - interval '1 day'`); err != nil {
			return false, wrap("forgetting old alert claims", err)
		}
	}
	return tag.RowsAffected() == 1, nil
}
