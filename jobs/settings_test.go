package jobs_test

import (
	"fmt"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/pgkeeper/pgkeeper/internal/config"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/remote"
	"github.com/pgkeeper/pgkeeper/store"
)

// What the environment sets reaches the jobs' settings, every field of it.
func TestSettingsFromTheConfiguration(t *testing.T) {
	bin := t.TempDir()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	recipient := id.Recipient().String()
	env := map[string]string{
		"DATABASE_URL": "postgres://u:pw@db:5432/wa", "RESTORE_DATABASE_URL": "postgres://u:pw@other:5432/postgres",
		"BACKUP_DIR": "/b", "PG_BIN_DIR": bin, "BACKUP_KEEP_DAILY": "3", "BACKUP_KEEP_MONTHLY": "2", "BACKUP_DROP_WARN": "0.5",
		"BACKUP_COPY_COMMAND": "true", "BACKUP_MAX_AGE_HOURS": "30", "DB_CLEANUP_RETENTION_DAYS": "9", "CLEANUP_BATCH_SIZE": "77",
		"CLEANUP_UNDO_HOURS": "5", "CLEANUP_WARN_ROWS": "11", "CLEANUP_MAX_ROWS": "12", "CLEANUP_MAX_SHARE": "0.25",
		"CLEANUP_VACUUM": "off", "KEYS_TABLE": "keys2", "KEYS_AGE_COLUMN": "touched", "DB_QUERY_LATENCY_THRESHOLD_MS": "250",
		"BACKUP_KEEP_HOURLY": "6", "BACKUP_KEEP_WEEKLY": "5", "SCHEDULE_TZ": "Europe/Moscow",
		"BACKUP_REMOTES": "msk=s3://pg-msk/wa/,spb=s3://pg-spb", "BACKUP_REMOTE_KEEP": "daily=30",
		"AWS_ACCESS_KEY_ID": "AKIAAWS", "AWS_SECRET_ACCESS_KEY": "aws-secret", "AWS_REGION": "ru-1",
		"BACKUP_REMOTE_MSK_ENDPOINT": "https://s3.msk.example.ru", "BACKUP_REMOTE_MSK_ADDRESSING": "virtual",
		"BACKUP_REMOTE_MSK_CHECKSUMS": "when-supported", "BACKUP_REMOTE_MSK_KEEP": "hourly=24,weekly=8",
		"BACKUP_REMOTE_SPB_ENDPOINT": "http://10.1.2.3:9000", "BACKUP_REMOTE_SPB_ACCESS_KEY_ID": "SPB",
		"BACKUP_REMOTE_SPB_SECRET_ACCESS_KEY": "spb-secret", "BACKUP_REMOTE_SPB_SESSION_TOKEN": "spb-token",
		"BACKUP_AGE_RECIPIENTS": recipient,
	}
	c, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, store.ParseURL)
	if err != nil {
		t.Fatal(err)
	}
	b, r, s, cl := jobs.BackupConfigFrom(c), jobs.RestoreConfigFrom(c), jobs.StatusConfigFrom(c, "degraded"), jobs.CleanupConfigFrom(c)
	moscow := c.Location
	remotes := []jobs.RemoteSpec{
		{Name: "msk", Config: remote.Config{Name: "msk", Bucket: "pg-msk", Prefix: "wa", Endpoint: "https://s3.msk.example.ru",
			Region: "ru-1", Addressing: remote.AddressingVirtual, Checksums: remote.ChecksumsWhenSupported,
			AccessKeyID: "AKIAAWS", SecretAccessKey: "aws-secret"},
			Keep: jobs.Retention{KeepHourly: 24, KeepWeekly: 8, Location: moscow}},
		{Name: "spb", Config: remote.Config{Name: "spb", Bucket: "pg-spb", Endpoint: "http://10.1.2.3:9000", Region: "ru-1",
			Addressing: remote.AddressingAuto, Checksums: remote.ChecksumsWhenRequired,
			AccessKeyID: "SPB", SecretAccessKey: "spb-secret", SessionToken: "spb-token"},
			Keep: jobs.Retention{KeepDaily: 30, Location: moscow}},
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"backup dir", b.Dir, "/b"},
		{"retention", b.Retention, jobs.Retention{KeepDaily: 3, KeepMonthly: 2, KeepHourly: 6, KeepWeekly: 5, Location: moscow}},
		{"time zone", moscow.String(), "Europe/Moscow"},
		{"backup remotes", b.Remotes, remotes},
		{"restore remotes", r.Remotes, remotes},
		{"status remotes", s.Remotes, remotes},
		{"recipients", b.Recipients, []string{recipient}},
		{"hidden from the copy command", b.CopyHide, c.SecretVariables()},
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
