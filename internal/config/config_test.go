package config

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) Lookup {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// parseURL stands in for store.ParseURL, which config sits below: what
// net/url refuses is refused, without repeating the string.
func parseURL(dsn string) (URLParts, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return URLParts{}, errors.New("parse database url: not a valid URL")
	}
	pw, _ := u.User.Password()
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	return URLParts{Password: pw, Database: strings.TrimPrefix(u.Path, "/"), Server: strings.ToLower(u.Hostname()) + ":" + port}, nil
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(map[string]string{
		"DATABASE_URL":       "postgres://u:pw@localhost/db",
		"TELEGRAM_ADMIN_IDS": "42, 43",
	}), parseURL)
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
	}), parseURL)
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
		_, err := Load(env(map[string]string{"DATABASE_URL": "postgres://u@h/db", "SENTRY_DSN": dsn}), parseURL)
		var p Problems
		if !errors.As(err, &p) || len(p) != 1 || p[0].Var != "SENTRY_DSN" || strings.Contains(err.Error(), "keyonly") {
			t.Errorf("SENTRY_DSN=%s: %v", dsn, err)
		}
	}
	if _, err := Load(env(map[string]string{"DATABASE_URL": "postgres://u@h/db", "SENTRY_DSN": "https://key@o1.ingest.sentry.io/42"}), parseURL); err != nil {
		t.Error(err)
	}
}

func TestSchedulesDefaultAndOff(t *testing.T) {
	c, err := Load(env(map[string]string{"DATABASE_URL": "postgres://u@h/db", "CLEANUP_SCHEDULE": "", "SCHEDULE_TZ": "Europe/Berlin"}), parseURL)
	if err != nil {
		t.Fatal(err)
	}
	if c.BackupSchedule != "0 3 * * *" || c.CleanupSchedule != "" || c.RestoreSchedule != "0 4 1 * *" || c.Location.String() != "Europe/Berlin" {
		t.Fatalf("schedules: %q %q %q %v", c.BackupSchedule, c.CleanupSchedule, c.RestoreSchedule, c.Location)
	}
}

func TestLoadRequiresDatabaseURL(t *testing.T) {
	_, err := Load(env(map[string]string{}), parseURL)
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL: required") {
		t.Fatalf("want DATABASE_URL required, got %v", err)
	}
}

// The password the connection string's parser finds is a secret.
func TestSecretsIncludePassword(t *testing.T) {
	c, err := Load(env(map[string]string{"DATABASE_URL": "postgres://u:p%40ss@h/db", "RESTORE_DATABASE_URL": "postgres://r:other@h/postgres"}), parseURL)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"p@ss", "other"} {
		if !slices.Contains(c.Secrets(), want) {
			t.Errorf("Secrets() lacks the password %q", want)
		}
	}
}

func TestDBWatchInterval(t *testing.T) {
	for give, want := range map[string]time.Duration{"": time.Minute, "off": 0, "0": 0, "30s": 30 * time.Second} {
		vars := map[string]string{"DATABASE_URL": "postgres://u@h/db"}
		if give != "" {
			vars["DB_WATCH_INTERVAL"] = give
		}
		c, err := Load(env(vars), parseURL)
		if err != nil || c.DBWatch != want {
			t.Errorf("DB_WATCH_INTERVAL=%q: %v, %v; want %v", give, c.DBWatch, err, want)
		}
	}
}
