package jobs_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/config"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
)

// What the environment sets reaches the jobs' settings, every field of it.
func TestSettingsFromTheConfiguration(t *testing.T) {
	bin := t.TempDir()
	env := map[string]string{
		"DATABASE_URL": "postgres://u:pw@db:5432/wa", "RESTORE_DATABASE_URL": "postgres://u:pw@other:5432/postgres",
		"BACKUP_DIR": "/b", "PG_BIN_DIR": bin, "BACKUP_KEEP_DAILY": "3", "BACKUP_KEEP_MONTHLY": "2", "BACKUP_DROP_WARN": "0.5",
		"BACKUP_COPY_COMMAND": "true", "BACKUP_MAX_AGE_HOURS": "30", "DB_CLEANUP_RETENTION_DAYS": "9", "CLEANUP_BATCH_SIZE": "77",
		"CLEANUP_UNDO_HOURS": "5", "CLEANUP_WARN_ROWS": "11", "CLEANUP_MAX_ROWS": "12", "CLEANUP_MAX_SHARE": "0.25",
		"CLEANUP_VACUUM": "off", "KEYS_TABLE": "keys2", "KEYS_AGE_COLUMN": "touched", "DB_QUERY_LATENCY_THRESHOLD_MS": "250",
	}
	c, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, store.ParseURL)
	if err != nil {
		t.Fatal(err)
	}
	b, r, s, cl := jobs.BackupConfigFrom(c), jobs.RestoreConfigFrom(c), jobs.StatusConfigFrom(c, "degraded"), jobs.CleanupConfigFrom(c)
	tests := []struct {
		name      string
		got, want any
	}{
		{"backup dir", b.Dir, "/b"},
		{"retention", b.Retention, jobs.Retention{KeepDaily: 3, KeepMonthly: 2}},
		{"drop warn", b.DropWarn, 0.5},
		{"copy command", b.CopyCommand, "true"},
		{"pg bin dir", r.PGBinDir, bin},
		{"restore server", r.RestoreDatabaseURL, env["RESTORE_DATABASE_URL"]},
		{"max age", s.BackupMaxAge, 30 * time.Hour},
		{"latency", s.LatencyThreshold, 250 * time.Millisecond},
		{"degraded", s.Degraded, "degraded"},
		{"keys table", cl.KeysTable.Name, "keys2"},
		{"age column", cl.AgeColumn, "touched"},
		{"retention days", cl.RetentionDays, 9},
		{"batch", cl.BatchSize, 77},
		{"undo", cl.UndoTTL, 5 * time.Hour},
		{"undo dir", cl.UndoDir, "/b/undo"},
		{"guards", []any{cl.WarnRows, cl.MaxRows, cl.MaxShare}, []any{int64(11), int64(12), 0.25}},
		{"vacuum", cl.Vacuum, false},
	}
	for _, tt := range tests {
		if fmtAny(tt.got) != fmtAny(tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func fmtAny(v any) string { return fmt.Sprintf("%#v", v) }
