package store_test

import (
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/store"
)

func TestSamples(t *testing.T) {
	db, dbURL := migratedDB(t)
	ctx := t.Context()
	const s = store.DefaultSchema
	now := mustTime(t, "2026-11-28T06:00:00Z")
	ancient := store.Sample{At: now.Add(-store.SampleRetention - time.Hour), Metric: store.MetricKeysRows, Value: 1}
	if err := db.AddSamples(ctx, s, ancient); err != nil {
		t.Fatal(err)
	}
	err := db.AddSamples(ctx, s,
		store.Sample{At: now.Add(-40 * 24 * time.Hour), Metric: store.MetricDatabaseBytes, Value: 900},
		store.Sample{At: now.Add(-time.Hour), Metric: store.MetricDatabaseBytes, Value: 1000},
		store.Sample{At: now.Add(-time.Hour), Metric: store.MetricKeysRows, Value: 50},
		store.Sample{At: now, Metric: store.MetricBackupBytes, Value: 400},
		store.Sample{At: now, Metric: store.MetricBackupMillis, Value: 2500},
	)
	if err != nil {
		t.Fatal(err)
	}
	if db.AddSamples(ctx, s) != nil {
		t.Fatal("no samples is no error")
	}
	if n := pgtest.QueryInt(t, dbURL, "SELECT count(*) FROM pgkeeper.samples WHERE value = 1"); n != 0 {
		t.Errorf("a sample older than the retention was kept")
	}

	since := now.Add(-30 * 24 * time.Hour)
	all, err := db.Samples(ctx, s, since)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 || all[0].Metric != store.MetricDatabaseBytes || all[0].Value != 1000 || !all[3].At.Equal(now) {
		t.Fatalf("Samples since 30 days = %+v", all)
	}
	backups, err := db.Samples(ctx, s, since, store.MetricBackupBytes, store.MetricBackupMillis)
	if err != nil {
		t.Fatal(err)
	}
	if len(backups) != 2 || backups[0].Metric != store.MetricBackupBytes || backups[1].Value != 2500 {
		t.Fatalf("backup samples = %+v", backups)
	}
}
