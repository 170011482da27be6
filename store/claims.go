package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnsureClaims makes sure the table in which scheduler instances claim a
// job's time slot exists. It is a migration of pgkeeper's schema (Migrate),
// not a CREATE of its own: CREATE SCHEMA needs a privilege the role may lack
// when an admin made the schema for it, and Migrate knows to look first.
func (db *DB) EnsureClaims(ctx context.Context, schema string) error {
	if err := db.Migrate(ctx, schema); err != nil {
		return fmt.Errorf("schedule claims: %w", err)
	}
	return nil
}

// Claim records that instance runs job's slot. Exactly one caller per (job,
// slot) gets true, across processes: two pgkeeper instances on one database
// never run the same scheduled run twice. Old claims are pruned as it goes.
func (db *DB) Claim(ctx context.Context, schema, job string, slot time.Time, instance string) (bool, error) {
	s := pgx.Identifier{schema}.Sanitize()
	tag, err := db.pool.Exec(ctx, fmt.Sprintf(
		`INSERT INTO %s.schedule_claims (job, slot, claimed_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, s),
		job, slot, instance)
	if err != nil {
		return false, fmt.Errorf("claim %s at %s: %w", job, slot.Format(time.RFC3339), err)
	}
	// Pruned relative to the slot, not the server's clock: a claim must live
	// far longer than any clock skew between instances.
	_, _ = db.pool.Exec(ctx,
		fmt.Sprintf(`DELETE FROM %s.schedule_claims WHERE slot < $1::timestamptz - interval '90 days'`, s), slot)
	return tag.RowsAffected() == 1, nil
}
