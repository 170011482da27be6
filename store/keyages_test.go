package store_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// TestKeyAgesBriefSamplesLargeTables: the overview's measure of a table of
// about 10 MB reads a sample and scales it to an estimate near the exact
// figure; the full measure stays exact; a small table is exact either way.
func TestKeyAgesBriefSamplesLargeTables(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDB(t)
	db := openDB(t, url)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// Row i is (i mod 60) days and an hour old: 29 of every 60 are past 30
	// days. 600 bytes of padding a row make 16,000 rows about 11 MB.
	now := time.Now().UTC().Truncate(time.Second)
	for _, q := range []string{
		`CREATE TABLE big (id int, pad text, at timestamptz)`,
		`CREATE TABLE small (id int, pad text, at timestamptz)`,
		`INSERT INTO big SELECT i, repeat(md5(i::text), 19), $1::timestamptz - make_interval(days => i % 60, hours => 1)
		   FROM generate_series(1, 16000) i`,
		`INSERT INTO small SELECT i, 'x', $1::timestamptz - make_interval(days => i % 60, hours => 1)
		   FROM generate_series(1, 600) i`,
		`ANALYZE big`, `ANALYZE small`,
	} {
		var args []any
		if len(q) > 6 && q[:6] == "INSERT" {
			args = []any{now}
		}
		if _, err := conn.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exactExpired := func(n int) int64 { // rows with i%60 >= 30 among 1..n
		var c int64
		for i := 1; i <= n; i++ {
			if i%60 >= 30 {
				c++
			}
		}
		return c
	}
	type measure func(context.Context, vocab.Ident, string, time.Duration, time.Time) (store.KeyAges, error)
	tests := []struct {
		name    string
		table   string
		rows    int
		measure measure
		sampled bool
	}{
		{"full measure of a large table is exact", "big", 16000, db.KeyAges, false},
		{"brief measure of a large table samples", "big", 16000, db.KeyAgesBrief, true},
		{"brief measure of a small table is exact", "small", 600, db.KeyAgesBrief, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka, err := tt.measure(ctx, vocab.Ident{Name: tt.table}, "at", 30*24*time.Hour, now)
			if err != nil {
				t.Fatal(err)
			}
			want := exactExpired(tt.rows)
			if !tt.sampled {
				if ka.SampledPercent != 0 || ka.Expired != want || ka.Total != int64(tt.rows) {
					t.Fatalf("sampled %.3g%%, expired %d of %d; want exact %d of %d", ka.SampledPercent, ka.Expired, ka.Total, want, tt.rows)
				}
				return
			}
			if ka.SampledPercent <= 0 || ka.SampledPercent >= 100 {
				t.Fatalf("sampled %.3g%% of a table over the brief bound, want a share", ka.SampledPercent)
			}
			if off := math.Abs(float64(ka.Expired-want)) / float64(want); off > 0.2 {
				t.Errorf("estimate %d expired, exact %d: %.0f%% off", ka.Expired, want, 100*off)
			}
		})
	}
}
