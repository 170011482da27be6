package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) Lookup {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(map[string]string{
		"DATABASE_URL":       "postgres://u:pw@localhost/db",
		"TELEGRAM_ADMIN_IDS": "42, 43",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.ChatID != 42 || len(c.AdminIDs) != 2 || c.APIURL != DefaultAPIURL || c.RetentionDays != 30 ||
		c.LatencyThreshold != 500*time.Millisecond || c.PoolThreshold != 0.8 || c.KeysTable.Name != "whatsapp_keys" ||
		c.KeysAgeColumn != "updated_at" || len(c.StatusTables) != 2 || c.BackupDir != "./backups" {
		t.Fatalf("defaults not applied: %+v", c)
	}
	if err := c.RequireBot(); err == nil || !strings.Contains(err.Error(), "TELEGRAM_BOT_TOKEN") {
		t.Fatalf("RequireBot without a token = %v", err)
	}
}

func TestLoadReportsEveryProblemWithoutSecrets(t *testing.T) {
	const secretToken = "not-a-token-but-secret-XYZ"
	const secretDSN = "https://deadbeefsecret@"
	_, err := Load(env(map[string]string{
		"TELEGRAM_BOT_TOKEN":            secretToken,
		"TELEGRAM_ADMIN_IDS":            "12,abc",
		"TELEGRAM_API_URL":              "ftp://x",
		"DATABASE_URL":                  "postgres://u:hunter2@[bad",
		"STATUS_TABLES":                 "ok_table,drop table x;--",
		"KEYS_AGE_COLUMN":               "a b",
		"DB_QUERY_LATENCY_THRESHOLD_MS": "-5",
		"DB_POOL_USAGE_THRESHOLD":       "1.5",
		"DB_CLEANUP_RETENTION_DAYS":     "zero",
		"PG_BIN_DIR":                    "/nonexistent/dir",
		"SENTRY_DSN":                    secretDSN,
		"LOG_LEVEL":                     "loud",
		"BACKUP_SCHEDULE":               "every day",
		"NOTIFY_SUCCESS":                "loud",
		"HTTP_ADDR":                     "9187",
		"STARTUP_DB_WAIT":               "forever",
		"DB_WATCH_INTERVAL":             "often",
	}))
	var p Problems
	if !errors.As(err, &p) {
		t.Fatalf("want Problems, got %v", err)
	}
	for _, v := range []string{"TELEGRAM_BOT_TOKEN", "TELEGRAM_ADMIN_IDS", "TELEGRAM_API_URL", "DATABASE_URL", "STATUS_TABLES",
		"KEYS_AGE_COLUMN", "DB_QUERY_LATENCY_THRESHOLD_MS", "DB_POOL_USAGE_THRESHOLD", "DB_CLEANUP_RETENTION_DAYS",
		"PG_BIN_DIR", "SENTRY_DSN", "LOG_LEVEL", "BACKUP_SCHEDULE", "NOTIFY_SUCCESS", "HTTP_ADDR", "STARTUP_DB_WAIT", "DB_WATCH_INTERVAL"} {
		if !strings.Contains(err.Error(), v+":") {
			t.Errorf("problem for %s missing in:\n%v", v, err)
		}
	}
	for _, secret := range []string{secretToken, "hunter2", "deadbeefsecret"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("secret %q printed in:\n%v", secret, err)
		}
	}
}

// A DSN sentry-go would refuse is in the same list as the other problems,
// not found after them when the client starts.
func TestSentryDSNNeedsAProject(t *testing.T) {
	for _, dsn := range []string{"https://keyonly@o1.ingest.sentry.io", "https://keyonly@o1.ingest.sentry.io/", "https://:pw@host/1"} {
		_, err := Load(env(map[string]string{"DATABASE_URL": "postgres://u@h/db", "SENTRY_DSN": dsn}))
		var p Problems
		if !errors.As(err, &p) || len(p) != 1 || p[0].Var != "SENTRY_DSN" || strings.Contains(err.Error(), "keyonly") {
			t.Errorf("SENTRY_DSN=%s: %v", dsn, err)
		}
	}
	if _, err := Load(env(map[string]string{"DATABASE_URL": "postgres://u@h/db", "SENTRY_DSN": "https://key@o1.ingest.sentry.io/42"})); err != nil {
		t.Error(err)
	}
}

func TestSchedulesDefaultAndOff(t *testing.T) {
	c, err := Load(env(map[string]string{"DATABASE_URL": "postgres://u@h/db", "CLEANUP_SCHEDULE": "", "SCHEDULE_TZ": "Europe/Berlin"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.BackupSchedule != "0 3 * * *" || c.CleanupSchedule != "" || c.RestoreSchedule != "0 4 1 * *" || c.Location.String() != "Europe/Berlin" {
		t.Fatalf("schedules: %q %q %q %v", c.BackupSchedule, c.CleanupSchedule, c.RestoreSchedule, c.Location)
	}
}

func TestLoadRequiresDatabaseURL(t *testing.T) {
	_, err := Load(env(map[string]string{}))
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL: required") {
		t.Fatalf("want DATABASE_URL required, got %v", err)
	}
}

func TestSecretsIncludePassword(t *testing.T) {
	tests := []struct {
		name, dsn, want string
	}{
		{"url", "postgres://u:p%40ss%20w%3Co%3E@h/db", "p@ss w<o>"},
		{"keyword", `host=h user=u password='a b\'c' dbname=d`, "a b'c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(map[string]string{"DATABASE_URL": tt.dsn}))
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, s := range c.Secrets() {
				found = found || s == tt.want
			}
			if !found {
				t.Fatalf("Secrets() lacks the password %q", tt.want)
			}
		})
	}
}

func TestDBWatchInterval(t *testing.T) {
	for give, want := range map[string]time.Duration{"": time.Minute, "off": 0, "0": 0, "30s": 30 * time.Second} {
		vars := map[string]string{"DATABASE_URL": "postgres://u@h/db"}
		if give != "" {
			vars["DB_WATCH_INTERVAL"] = give
		}
		c, err := Load(env(vars))
		if err != nil || c.DBWatch != want {
			t.Errorf("DB_WATCH_INTERVAL=%q: %v, %v; want %v", give, c.DBWatch, err, want)
		}
	}
}
