package render

import (
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/pgversion"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

func sampleReport() jobs.StatusReport {
	at := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	return jobs.StatusReport{
		At: at,
		Database: jobs.DatabaseStatus{Name: "wa<prod>", Host: "db:5432", Reachable: true, Version: pgversion.FromNum(150018),
			Latency: 3 * time.Millisecond, LatencyThreshold: 500 * time.Millisecond, Pool: store.PoolStats{InUse: 1, Max: 4}, PoolThreshold: 0.8, SizeBytes: 1_060_000_000},
		Tables: []jobs.TableStatus{
			{TableStats: store.TableStats{Table: vocab.Ident{Name: "whatsapp_keys"}, Rows: 1400000, TableBytes: 1e9, IndexBytes: 5e7, TotalBytes: 1.05e9}},
			{TableStats: store.TableStats{Table: vocab.Ident{Name: "whatsapp_auth"}, Rows: 3, RowsExact: true}},
		},
		Keys: jobs.KeysStatus{Table: vocab.Ident{Name: "whatsapp_keys"}, Column: "updated_at", RetentionDays: 30, Checked: true,
			KeyAges: store.KeyAges{Buckets: [5]int64{10, 20, 30, 40, 900}, Total: 1000, Expired: 900, Oldest: at.Add(-59 * 24 * time.Hour), Newest: at.Add(-time.Minute), SampledPercent: 0.5}},
		Tools: []jobs.ToolStatus{
			{Tool: jobs.Tool{Name: "pg_dump", Path: "/usr/bin/pg_dump", Version: pgversion.Version{Major: 15, Minor: 18}}, Found: true},
			{Tool: jobs.Tool{Name: "pg_restore", Version: pgversion.Version{Major: 14}}, Found: true, Level: jobs.LevelWarn, Problem: "pg_restore 14.0 cannot handle server 15.18: install postgresql-client-15 or set PG_BIN_DIR"},
		},
		BackupDir: jobs.DirStatus{Path: "/var/backups", Exists: true, FreeBytes: 80e9},
		Findings:  []jobs.Finding{{Level: jobs.LevelWarn, Text: "pg_restore 14.0 cannot handle server 15.18: install postgresql-client-15 or set PG_BIN_DIR"}},
	}
}

func TestStatusRendering(t *testing.T) {
	tests := []struct {
		name    string
		format  Format
		want    []string
		notWant []string
	}{
		{"html", HTML, []string{"⚠️ <b>pgkeeper status · wa&lt;prod&gt;</b>", "≈1,400,000 rows (estimate)", "3 rows", "<pre>", "&gt; 30 d", "≈900", "90.0%", "1.06 GB", "80.0 GB free", "install postgresql-client-15"}, []string{"wa<prod>"}},
		{"plain", Plain, []string{"[warn] pgkeeper status · wa<prod>", "≈1,400,000 rows", "> 30 d", "oldest 59 d 0 h ago"}, []string{"<b>", "&lt;"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Status(sampleReport(), tt.format)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in:\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("unexpected %q in:\n%s", w, got)
				}
			}
		})
	}
}

func TestStatusRenderingUnreachable(t *testing.T) {
	r := jobs.StatusReport{Database: jobs.DatabaseStatus{Name: "db", Error: "connection refused"},
		Findings: []jobs.Finding{{Level: jobs.LevelCritical, Text: "database db unreachable: connection refused"}}}
	got := Status(r, HTML)
	if !strings.HasPrefix(got, "🔴") || strings.Contains(got, "Key ages") || !strings.Contains(got, "unreachable") {
		t.Fatalf("unreachable rendering wrong:\n%s", got)
	}
}

func TestStatusShowsLastRuns(t *testing.T) {
	r := sampleReport()
	r.LastRuns = map[string]vocab.Run{
		"backup":  {Job: "backup", Trigger: "schedule", StartedAt: r.At.Add(-3 * time.Hour), EndedAt: r.At.Add(-3*time.Hour + 12*time.Second), Outcome: "ok"},
		"cleanup": {Job: "cleanup", Trigger: "chat:7", StartedAt: r.At.Add(-time.Hour), EndedAt: r.At.Add(-time.Hour + time.Second), Outcome: "failed", Error: "lock <busy>\nsecond line"},
	}
	got := Status(r, HTML)
	for _, w := range []string{"<b>Last runs</b>", "✅ <code>backup</code> ok 2 h 59 min ago", "took 12.0 s · schedule", "<code>cleanup</code> failed", "lock &lt;busy&gt;"} {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
	if strings.Contains(got, "second line") {
		t.Errorf("the error's second line is shown:\n%s", got)
	}
	if i, j := strings.Index(got, "<code>backup</code>"), strings.Index(got, "<code>cleanup</code>"); i > j {
		t.Errorf("jobs not in name order:\n%s", got)
	}
}
