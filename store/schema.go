package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgkeeper/pgkeeper/internal/config"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// DefaultSchema is where pgkeeper keeps its own state (run history, outbox,
// size samples) inside the database it guards: PGKEEPER_SCHEMA's default,
// which config owns.
const DefaultSchema = config.DefaultSchema

// migrations are applied in order, each once; migration i brings the schema
// to version i+1. Never edit one that has shipped: append a new one. "%[1]s"
// is the quoted schema.
var migrations = []string{
	// 1: run history, notification outbox, size samples.
	`CREATE TABLE %[1]s.job_runs (
		id         bigserial   PRIMARY KEY,
		job        text        NOT NULL,
		trigger    text        NOT NULL,
		started_at timestamptz NOT NULL,
		ended_at   timestamptz,
		outcome    text        NOT NULL DEFAULT 'running'
		           CHECK (outcome IN ('ok', 'failed', 'warning', 'skipped', 'running')),
		error      text        NOT NULL DEFAULT '',
		figures    jsonb
	);
	CREATE INDEX job_runs_started ON %[1]s.job_runs (started_at DESC, id DESC);
	CREATE INDEX job_runs_job_started ON %[1]s.job_runs (job, started_at DESC, id DESC);

	CREATE TABLE %[1]s.outbox (
		id           bigserial   PRIMARY KEY,
		created_at   timestamptz NOT NULL DEFAULT now(),
		chat_id      bigint      NOT NULL,
		thread_id    bigint,
		kind         text        NOT NULL CHECK (kind IN ('html', 'photo')),
		body         text        NOT NULL DEFAULT '',
		photo        bytea,
		attempts     int         NOT NULL DEFAULT 0,
		last_error   text        NOT NULL DEFAULT '',
		delivered_at timestamptz,
		dropped_at   timestamptz
	);
	CREATE INDEX outbox_pending ON %[1]s.outbox (id) WHERE delivered_at IS NULL AND dropped_at IS NULL;

	CREATE TABLE %[1]s.samples (
		at     timestamptz NOT NULL,
		metric text        NOT NULL,
		value  bigint      NOT NULL
	);
	CREATE INDEX samples_metric_at ON %[1]s.samples (metric, at);`,
	// 2: schedule claims, so that two instances run a slot once. IF NOT
	// EXISTS: versions before this migration created the table themselves.
	`CREATE TABLE IF NOT EXISTS %[1]s.schedule_claims (
		job        text        NOT NULL,
		slot       timestamptz NOT NULL,
		claimed_by text        NOT NULL,
		claimed_at timestamptz NOT NULL DEFAULT now(),
		PRIMARY KEY (job, slot)
	);`,
	// 3: heartbeats, so that a run whose process died is found and marked
	// abandoned (see AbandonRuns). Written to apply to any schema at version
	// 2, whatever it holds: a run still "running" from before gets its start
	// as its last sign of life, and is abandoned at the first sweep.
	`ALTER TABLE %[1]s.job_runs
		ADD COLUMN IF NOT EXISTS heartbeat_at timestamptz,
		ADD COLUMN IF NOT EXISTS abandoned_at timestamptz,
		ADD COLUMN IF NOT EXISTS abandoned_by text NOT NULL DEFAULT '';
	UPDATE %[1]s.job_runs SET heartbeat_at = coalesce(ended_at, started_at) WHERE heartbeat_at IS NULL;
	ALTER TABLE %[1]s.job_runs
		ALTER COLUMN heartbeat_at SET DEFAULT now(),
		ALTER COLUMN heartbeat_at SET NOT NULL,
		DROP CONSTRAINT IF EXISTS job_runs_outcome_check,
		ADD CONSTRAINT job_runs_outcome_check
		    CHECK (outcome IN ('ok', 'failed', 'warning', 'skipped', 'running', 'abandoned'));
	CREATE INDEX IF NOT EXISTS job_runs_running ON %[1]s.job_runs (heartbeat_at) WHERE outcome = 'running';`,
	// 4: which scheduled tick a run is (its claimed slot) and which process
	// ran it, so that several instances' runs can be told apart and each
	// tick checked to have run once.
	`ALTER TABLE %[1]s.job_runs
		ADD COLUMN IF NOT EXISTS slot timestamptz,
		ADD COLUMN IF NOT EXISTS instance text NOT NULL DEFAULT '';`,
}

// SchemaVersion is the version Migrate brings the schema to.
func SchemaVersion() int { return len(migrations) }

// Migrate creates schema (validated as a plain identifier) in the guarded
// database and brings it to SchemaVersion(). It is idempotent, and safe when
// several pgkeeper processes start at once: each migrates under a
// transaction-scoped advisory lock, so the later one finds the work done.
func (db *DB) Migrate(ctx context.Context, schema string) error {
	if !vocab.Plain(schema) {
		return fmt.Errorf("migrate: schema %q is not a plain identifier (letters, digits, _ and $)", schema)
	}
	s := pgx.Identifier{schema}.Sanitize()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: begin: %w", schema, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	// The lock is taken before anything is looked at: CREATE ... IF NOT EXISTS
	// alone still fails with a unique violation when two sessions race.
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('pgkeeper'), hashtext($1))", "migrate:"+schema); err != nil {
		return fmt.Errorf("migrate %s: lock: %w", schema, err)
	}
	// CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the
	// schema exists: look first, so that a role without it can use a schema
	// an admin made for it.
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1)", schema).Scan(&exists); err != nil {
		return fmt.Errorf("migrate %s: look for schema: %w", schema, err)
	}
	if !exists {
		if _, err := tx.Exec(ctx, "CREATE SCHEMA "+s); err != nil {
			return fmt.Errorf("migrate %s: create schema: %w", schema, err)
		}
	}
	_, err = tx.Exec(ctx, fmt.Sprintf(`
		CREATE TABLE IF NOT EXISTS %s.schema_version (
			version    int         PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`, s))
	if err != nil {
		return fmt.Errorf("migrate %s: create version table: %w", schema, err)
	}
	var current int
	q := fmt.Sprintf("SELECT coalesce(max(version), 0) FROM %s.schema_version", s)
	if err := tx.QueryRow(ctx, q).Scan(&current); err != nil {
		return fmt.Errorf("migrate %s: read version: %w", schema, err)
	}
	// A schema newer than this binary (a rollback after an upgrade) is left
	// alone: migrations only add, so the older code still finds its tables.
	for v := current + 1; v <= len(migrations); v++ {
		if _, err := tx.Exec(ctx, fmt.Sprintf(migrations[v-1], s)); err != nil {
			return fmt.Errorf("migrate %s to version %d: %w", schema, v, err)
		}
		if _, err := tx.Exec(ctx, fmt.Sprintf("INSERT INTO %s.schema_version (version) VALUES ($1)", s), v); err != nil {
			return fmt.Errorf("migrate %s: record version %d: %w", schema, v, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate %s: commit: %w", schema, err)
	}
	return nil
}

// Version is the schema's migration version; 0 when it was never migrated.
func (db *DB) Version(ctx context.Context, schema string) (int, error) {
	var exists bool
	err := db.pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", table(schema, "schema_version")).Scan(&exists)
	if err != nil {
		return 0, fmt.Errorf("schema version of %s: %w", schema, err)
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := db.pool.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM "+table(schema, "schema_version")).Scan(&v); err != nil {
		return 0, fmt.Errorf("schema version of %s: %w", schema, err)
	}
	return v, nil
}

// table is schema.name, quoted.
func table(schema, name string) string { return pgx.Identifier{schema, name}.Sanitize() }
