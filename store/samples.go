package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Metrics sampled for the trend charts. Sizes come from status reports and
// scheduled runs; backup figures from each backup run.
const (
	MetricDatabaseBytes  = "database_bytes"
	MetricKeysTableBytes = "keys_table_bytes"
	MetricKeysRows       = "keys_rows"
	MetricBackupBytes    = "backup_bytes"
	MetricBackupMillis   = "backup_duration_ms"
)

// SampleRetention is how long samples are kept: the charts show 30 days, a
// year lets a yearly comparison be added without losing data meanwhile.
const SampleRetention = 400 * 24 * time.Hour

// Sample is one measurement of a metric.
type Sample struct {
	At     time.Time
	Metric string
	Value  int64
}

// AddSamples stores samples in one statement, and prunes samples older than
// SampleRetention before the newest of them (the caller's clock, not the
// server's).
func (db *DB) AddSamples(ctx context.Context, schema string, samples ...Sample) error {
	if len(samples) == 0 {
		return nil
	}
	at := make([]time.Time, len(samples))
	metric := make([]string, len(samples))
	value := make([]int64, len(samples))
	newest := samples[0].At
	for i, s := range samples {
		at[i], metric[i], value[i] = s.At, s.Metric, s.Value
		if s.At.After(newest) {
			newest = s.At
		}
	}
	t := table(schema, "samples")
	_, err := db.pool.Exec(ctx, fmt.Sprintf(
		"INSERT INTO %s (at, metric, value) SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::bigint[])", t),
		at, metric, value)
	if err != nil {
		return fmt.Errorf("add samples: %w", err)
	}
	if _, err := db.pool.Exec(ctx, fmt.Sprintf("DELETE FROM %s WHERE at < $1", t), newest.Add(-SampleRetention)); err != nil {
		return fmt.Errorf("prune samples: %w", err)
	}
	return nil
}

// Samples returns the samples taken at or after since, oldest first, of the
// given metrics (none given: all).
func (db *DB) Samples(ctx context.Context, schema string, since time.Time, metrics ...string) ([]Sample, error) {
	rows, err := db.pool.Query(ctx, fmt.Sprintf(`
		SELECT at, metric, value FROM %s
		WHERE at >= $1 AND (coalesce(cardinality($2::text[]), 0) = 0 OR metric = ANY($2))
		ORDER BY at, metric`, table(schema, "samples")), since, metrics)
	if err != nil {
		return nil, fmt.Errorf("samples: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Sample])
	if err != nil {
		return nil, fmt.Errorf("samples: %w", err)
	}
	return out, nil
}
