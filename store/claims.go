package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnsureClaims creates the table in which scheduler instances claim a job's
// time slot. It is idempotent and safe from several processes at once.
func (db *DB) EnsureClaims(ctx context.Context, schema string) error {
	s := pgx.Identifier{schema}.Sanitize()
	_, err := db.pool.Exec(ctx, fmt.Sprintf(`
		SELECT pg_advisory_xact_lock(hashtext('pgkeeper-claims'));
		CREATE SCHEMA IF NOT EXISTS %[1]s;
		CREATE TABLE IF NOT EXISTS %[1]s.schedule_claims (
			job        text        NOT NULL,
			slot       timestamptz NOT NULL,
			claimed_by text        NOT NULL,
			claimed_at timestamptz NOT NULL DEFAULT now(),
			PRIMARY KEY (job, slot)
		);`, s))
	if err != nil {
		return fmt.Errorf("create schedule claims in %s: %w", schema, err)
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
	_, _ = db.pool.Exec(ctx, fmt.Sprintf(`DELETE FROM %s.schedule_claims WHERE slot < $1::timestamptz - interval '90 days'`, s), slot)
	return tag.RowsAffected() == 1, nil
}
