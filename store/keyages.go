package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgkeeper/pgkeeper/vocab"
)

// AgeBucketBounds are the upper age bounds of the first four age buckets; the
// fifth holds everything older. They match the cleanup's default retention.
var AgeBucketBounds = [4]time.Duration{24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 30 * 24 * time.Hour}

// KeyAges is the age distribution of a table's rows by a timestamp column.
type KeyAges struct {
	Buckets [5]int64 // <1 d, 1–7 d, 7–14 d, 14–30 d, >30 d (by AgeBucketBounds)
	Total   int64    // rows with a non-null age column
	Expired int64    // older than the retention asked for
	Oldest  time.Time
	Newest  time.Time
	// SampledPercent is 0 for exact figures; otherwise the share of the
	// table's pages read (TABLESAMPLE SYSTEM) and the counts are scaled up.
	SampledPercent float64
}

// sampleTargetPages is how many pages a sampled age scan reads: enough for a
// stable distribution, few enough to answer well under a second.
const sampleTargetPages = 4000

// briefExactBytes and briefSamplePages bound the scan of KeyAgesBrief: an
// overview of twenty databases reads a few MB of each, not each whole table
// (a 40 MB keys table took 150 ms of a core to scan whole).
const (
	briefExactBytes  = 8 << 20
	briefSamplePages = 128
)

// KeyAges measures the age of rows by column relative to now. Small tables are
// scanned whole; large ones (the production keys table has no index on its age
// column) are sampled by pages and scaled to the catalog's row estimate.
func (db *DB) KeyAges(ctx context.Context, table vocab.Ident, column string, retention time.Duration,
	now time.Time) (KeyAges, error) {
	return db.keyAges(ctx, table, column, retention, now, exactCountBytes, sampleTargetPages)
}

// KeyAgesBrief is KeyAges for a one-line overview: tables over a few MB are
// sampled, by fewer pages. Its counts are estimates whenever SampledPercent
// is set.
func (db *DB) KeyAgesBrief(ctx context.Context, table vocab.Ident, column string, retention time.Duration,
	now time.Time) (KeyAges, error) {
	return db.keyAges(ctx, table, column, retention, now, briefExactBytes, briefSamplePages)
}

func (db *DB) keyAges(ctx context.Context, table vocab.Ident, column string, retention time.Duration,
	now time.Time, exactBytes int64, samplePages float64) (KeyAges, error) {
	var relpages, reltuples float64
	var bytes int64
	err := db.pool.QueryRow(ctx,
		`SELECT c.relpages, c.reltuples, pg_relation_size(c.oid) FROM pg_class c WHERE c.oid = $1::regclass`,
		quote(table)).Scan(&relpages, &reltuples, &bytes)
	if err != nil {
		return KeyAges{}, fmt.Errorf("key ages of %s: %w", table, err)
	}
	pct := 0.0
	if bytes >= exactBytes && relpages > 0 && reltuples > 0 {
		pct = 100 * samplePages / relpages
		if pct >= 100 {
			pct = 0
		}
	}
	col := pgx.Identifier{column}.Sanitize()
	from := quote(table)
	if pct > 0 {
		from += fmt.Sprintf(" TABLESAMPLE SYSTEM (%g)", pct)
	}
	q := fmt.Sprintf(`
		SELECT count(a),
		       count(*) FILTER (WHERE a >= $1::timestamptz - $2::interval),
		       count(*) FILTER (WHERE a <  $1::timestamptz - $2::interval AND a >= $1::timestamptz - $3::interval),
		       count(*) FILTER (WHERE a <  $1::timestamptz - $3::interval AND a >= $1::timestamptz - $4::interval),
		       count(*) FILTER (WHERE a <  $1::timestamptz - $4::interval AND a >= $1::timestamptz - $5::interval),
		       count(*) FILTER (WHERE a <  $1::timestamptz - $5::interval),
		       count(*) FILTER (WHERE a <  $1::timestamptz - $6::interval),
		       coalesce(min(a), 'epoch'), coalesce(max(a), 'epoch')
		FROM (SELECT %s AS a FROM %s) t`, col, from)
	var ka KeyAges
	b := AgeBucketBounds
	err = db.pool.QueryRow(ctx, q, now, b[0], b[1], b[2], b[3], retention).Scan(
		&ka.Total, &ka.Buckets[0], &ka.Buckets[1], &ka.Buckets[2], &ka.Buckets[3], &ka.Buckets[4],
		&ka.Expired, &ka.Oldest, &ka.Newest)
	if err != nil {
		return KeyAges{}, fmt.Errorf("key ages of %s.%s: %w", table, column, err)
	}
	if pct > 0 && ka.Total > 0 {
		ka.SampledPercent = pct
		scale := reltuples / float64(ka.Total)
		for i := range ka.Buckets {
			ka.Buckets[i] = int64(float64(ka.Buckets[i])*scale + 0.5)
		}
		ka.Expired = int64(float64(ka.Expired)*scale + 0.5)
		ka.Total = int64(reltuples)
	}
	return ka, nil
}
