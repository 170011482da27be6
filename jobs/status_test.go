package jobs_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func openDB(t *testing.T, url string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

func statusJob(db *store.DB, binDir string, now time.Time) *jobs.Status {
	return &jobs.Status{DB: db, Now: func() time.Time { return now }, Config: jobs.StatusConfig{
		Tables:           []vocab.Ident{{Name: "whatsapp_auth"}, {Name: "whatsapp_keys"}},
		KeysTable:        vocab.Ident{Name: "whatsapp_keys"},
		KeysAgeColumn:    "updated_at",
		RetentionDays:    30,
		LatencyThreshold: 500 * time.Millisecond,
		PoolThreshold:    0.8,
		BackupDir:        filepath.Join(os.TempDir(), "pgkeeper-status-test-missing", "backups"),
		PGBinDir:         binDir,
	}}
}

// TestStatusMatchesExactCounts checks every figure of the report against exact
// SQL over the seeded data, at one fixed instant.
func TestStatusMatchesExactCounts(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 3, Keys: 3000, Days: 60})
	now := time.Now()
	r := statusJob(openDB(t, url), pgtest.BinDir(t), now).Run(context.Background())
	// Healthy but never backed up: that alone is worth a warning.
	if len(r.Findings) != 1 || !strings.Contains(r.Findings[0].Text, "no verified backup yet") {
		t.Fatalf("want only the no-backup warning, got %+v", r.Findings)
	}
	if !r.Database.Reachable || !r.Database.Version.Valid() || r.Database.SizeBytes <= 0 {
		t.Fatalf("database part wrong: %+v", r.Database)
	}
	want := map[string]int64{
		"whatsapp_auth": pgtest.QueryInt(t, url, "SELECT count(*) FROM whatsapp_auth"),
		"whatsapp_keys": pgtest.QueryInt(t, url, "SELECT count(*) FROM whatsapp_keys"),
	}
	for _, ts := range r.Tables {
		if !ts.RowsExact || ts.Rows != want[ts.Table.Name] || ts.TotalBytes < ts.TableBytes {
			t.Errorf("table %s: rows %d exact %v, want %d exact", ts.Table, ts.Rows, ts.RowsExact, want[ts.Table.Name])
		}
	}
	k := r.Keys
	if !k.Checked || k.SampledPercent != 0 {
		t.Fatalf("keys not checked exactly: %+v", k)
	}
	bounds := []string{"0 days", "1 day", "7 days", "14 days", "30 days", "100000 days"}
	for i := 0; i < 5; i++ {
		q := "SELECT count(*) FROM whatsapp_keys WHERE updated_at < $1::timestamptz - $2::interval AND updated_at >= $1::timestamptz - $3::interval"
		if got := pgtest.QueryInt(t, url, q, now, bounds[i], bounds[i+1]); got != k.Buckets[i] {
			t.Errorf("bucket %d: report %d, SQL %d", i, k.Buckets[i], got)
		}
	}
	if got := pgtest.QueryInt(t, url, "SELECT count(*) FROM whatsapp_keys WHERE updated_at < $1::timestamptz - interval '30 days'", now); got != k.Expired {
		t.Errorf("expired: report %d, SQL %d", k.Expired, got)
	}
	if got := pgtest.QueryInt(t, url, "SELECT floor(extract(epoch FROM min(updated_at)))::bigint FROM whatsapp_keys"); got != k.Oldest.Unix() {
		t.Errorf("oldest: report %d, SQL %d", k.Oldest.Unix(), got)
	}
	for _, tool := range r.Tools {
		if !tool.Found || tool.Problem != "" {
			t.Errorf("tool %s: %+v", tool.Name, tool)
		}
	}
	if r.BackupDir.Exists || r.BackupDir.FreeBytes <= 0 {
		t.Errorf("missing backup dir should be measured on its parent: %+v", r.BackupDir)
	}
}

// TestStatusSamplesLargeTables proves the sampled path: past the exact-count
// size, buckets are scaled from a page sample and labelled as such.
func TestStatusSamplesLargeTables(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds ~70 MB")
	}
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 3, Keys: 120000, Days: 60})
	r := statusJob(openDB(t, url), pgtest.BinDir(t), time.Now()).Run(context.Background())
	k := r.Keys
	if k.SampledPercent <= 0 || k.SampledPercent >= 100 {
		t.Fatalf("want a sampled key-age scan on a large table, got %+v", k)
	}
	exact := pgtest.QueryInt(t, url, "SELECT count(*) FROM whatsapp_keys WHERE updated_at < now() - interval '30 days'")
	if diff := float64(k.Expired-exact) / float64(exact); diff > 0.15 || diff < -0.15 {
		t.Errorf("sampled expired %d too far from exact %d", k.Expired, exact)
	}
	var keys jobs.TableStatus
	for _, ts := range r.Tables {
		if ts.Table.Name == "whatsapp_keys" {
			keys = ts
		}
	}
	if keys.RowsExact {
		t.Errorf("large table should be an estimate: %+v", keys)
	}
}

func TestStatusGrading(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 100, Days: 10})
	oldTools := t.TempDir()
	for _, name := range []string{"pg_dump", "pg_restore"} {
		script := "#!/bin/sh\necho '" + name + " (PostgreSQL) 9.6.24'\n"
		if err := os.WriteFile(filepath.Join(oldTools, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		url       string
		binDir    string
		latency   time.Duration
		want      jobs.Level
		wantWords string
	}{
		{"too slow", url, pgtest.BinDir(t), time.Nanosecond, jobs.LevelWarn, "latency"},
		{"pg_dump too old", url, oldTools, time.Second, jobs.LevelCritical, "pg_dump 9.6.24 cannot handle server"},
		{"no pg_dump", url, t.TempDir(), time.Second, jobs.LevelCritical, "pg_dump in PG_BIN_DIR"},
		{"unreachable", "postgres://nobody:secret@127.0.0.1:1/none?connect_timeout=2", pgtest.BinDir(t), time.Second, jobs.LevelCritical, "unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := statusJob(openDB(t, tt.url), tt.binDir, time.Now())
			s.Config.LatencyThreshold = tt.latency
			start := time.Now()
			r := s.Run(context.Background())
			if time.Since(start) > 5*time.Second {
				t.Errorf("status took %s, over the 5 s promise", time.Since(start))
			}
			var texts []string
			for _, f := range r.Findings {
				texts = append(texts, f.Text)
			}
			if r.Level() != tt.want || !strings.Contains(strings.Join(texts, "\n"), tt.wantWords) {
				t.Fatalf("level %v findings %q; want %v with %q", r.Level(), texts, tt.want, tt.wantWords)
			}
		})
	}
}

// /status says when the backups share a disk with the database they back up,
// and not when they do not.
func TestStatusSeesBackupsOnTheDatabaseDisk(t *testing.T) {
	url := pgtest.NewDB(t)
	db := openDB(t, url)
	dataDir := db.DataDirectory(context.Background())
	if dataDir == "" {
		t.Skip("the test server does not say where its data directory is (not a superuser)")
	}
	var data, shm syscall.Stat_t
	if syscall.Stat(filepath.Dir(dataDir), &data) != nil || syscall.Stat("/dev/shm", &shm) != nil || data.Dev == shm.Dev {
		t.Skip("no second filesystem (/dev/shm) to put backups on")
	}
	tests := []struct {
		name string
		dir  string
		want bool
	}{
		// Not made yet: measured on its nearest existing parent.
		{"beside the data directory", filepath.Join(filepath.Dir(dataDir), "pgkeeper-test-backups"), true},
		{"on another filesystem", filepath.Join("/dev/shm", "pgkeeper-test-backups"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := statusJob(db, pgtest.BinDir(t), time.Now())
			s.Config.BackupDir = tt.dir
			r := s.Run(context.Background())
			if r.BackupDir.SameDiskAsDatabase != tt.want || r.BackupDir.Error != "" {
				t.Fatalf("backup dir %+v, want same disk %v", r.BackupDir, tt.want)
			}
			text := render.Status(r, render.Plain)
			if says := strings.Contains(text, "same disk as the database"); says != tt.want {
				t.Errorf("the report says same disk: %v, want %v:\n%s", says, tt.want, text)
			}
			for _, f := range r.Findings {
				if strings.Contains(f.Text, "disk") {
					t.Errorf("a one-disk server is not a fault: %+v", f)
				}
			}
		})
	}
}
