package main

import (
	"bytes"
	"context"
	"fmt"
	neturl "net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/telegramtest"
)

func TestMain(m *testing.M) {
	// A test that needs pgkeeper as its own process (to signal it) runs
	// this binary again as pgkeeper itself.
	if os.Getenv("PGKEEPER_TEST_AS_MAIN") == "1" {
		if d, err := time.ParseDuration(os.Getenv("PGKEEPER_TEST_HEARTBEAT")); err == nil {
			runHeartbeat = d
		}
		main()
	}
	pgtest.Main(m)
}

// runCLI runs pgkeeper in-process with only the given environment, in an
// empty directory so no developer's .env leaks in.
func runCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Chdir(t.TempDir())
	var out, errb bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code = run(context.Background(), args, lookup, &out, &errb)
	return code, out.String(), errb.String()
}

func TestStatusExitCodes(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 2, Keys: 500, Days: 40})
	// A directory pgkeeper makes (0700): t.TempDir() is 0755, which status warns of.
	base := map[string]string{"DATABASE_URL": url, "PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": filepath.Join(t.TempDir(), "backups")}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range base {
			m[a] = b
		}
		m[k] = v
		return m
	}
	tests := []struct {
		name     string
		env      map[string]string
		wantCode int
		wantOut  string
	}{
		{"healthy", base, 0, "[ok]   pgkeeper status"},
		{"warning: a table is missing", with("STATUS_TABLES", "whatsapp_auth,no_such_table"), 1, "no_such_table"},
		{"critical: unreachable", with("DATABASE_URL", "postgres://u:pw@127.0.0.1:1/x?connect_timeout=2"), 2, "unreachable"},
	}
	// Healthy means backed up too: make one through the shell first.
	if code, out, errOut := runCLI(t, base, "backup"); code != 0 {
		t.Fatalf("backup exit %d:\n%s%s", code, out, errOut)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.env, "status")
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) {
				t.Fatalf("exit %d (want %d), stdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errOut)
			}
			if strings.Contains(out+errOut, pgtest.TestPassword) {
				t.Fatal("the database password was printed")
			}
		})
	}
}

func TestBadConfigListsEveryVariableAndNoSecret(t *testing.T) {
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN":        "leaky-token-value",
		"TELEGRAM_ADMIN_IDS":        "x",
		"DATABASE_URL":              "postgres://u:hunter2@[oops",
		"DB_CLEANUP_RETENTION_DAYS": "-1",
	}
	for _, cmd := range []string{"status", "serve", "check"} {
		t.Run(cmd, func(t *testing.T) {
			code, out, errOut := runCLI(t, env, cmd)
			if code != 2 {
				t.Fatalf("exit %d, want 2", code)
			}
			for _, v := range []string{"TELEGRAM_BOT_TOKEN", "TELEGRAM_ADMIN_IDS", "DATABASE_URL", "DB_CLEANUP_RETENTION_DAYS"} {
				if !strings.Contains(errOut, v) {
					t.Errorf("%s not named in:\n%s", v, errOut)
				}
			}
			for _, s := range []string{"leaky-token-value", "hunter2"} {
				if strings.Contains(out+errOut, s) {
					t.Errorf("secret %q printed:\n%s%s", s, out, errOut)
				}
			}
		})
	}
}

// A command refused for its configuration names every problem in one list,
// its own requirements (serve's token and admins, health's HTTP_ADDR)
// included, and connects to nothing first.
func TestConfigProblemsListedAtOnceBeforeConnecting(t *testing.T) {
	tests := []struct {
		cmd  string
		want []string
	}{
		{"serve", []string{"DB_CLEANUP_RETENTION_DAYS", "CLEANUP_MAX_SHARE", "TELEGRAM_BOT_TOKEN", "TELEGRAM_ADMIN_IDS"}},
		{"health", []string{"DB_CLEANUP_RETENTION_DAYS", "CLEANUP_MAX_SHARE", "HTTP_ADDR"}},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			// A closed gate counts every connection tried through it.
			gate := pgtest.NewGate(t, "postgres://u:pw@127.0.0.1:1/x")
			env := map[string]string{"DATABASE_URL": gate.URL(), "CLEANUP_MAX_SHARE": "NaN", "DB_CLEANUP_RETENTION_DAYS": "-1"}
			code, out, errOut := runCLI(t, env, tt.cmd)
			if code != exitUsage || out != "" {
				t.Fatalf("exit %d (want %d), stdout:\n%s\nstderr:\n%s", code, exitUsage, out, errOut)
			}
			// The list and nothing else: no log line of a start, no second list.
			lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
			if lines[0] != "pgkeeper: configuration:" || len(lines) != 1+len(tt.want) {
				t.Fatalf("want one list of %d problems, got:\n%s", len(tt.want), errOut)
			}
			for i, v := range tt.want {
				if !strings.HasPrefix(lines[1+i], "  "+v+": ") {
					t.Errorf("line %d is not about %s:\n%s", 1+i, v, errOut)
				}
			}
			if n := gate.Refused.Load(); n != 0 {
				t.Errorf("%d connections to the database before the configuration was found bad", n)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantIn   string
	}{
		{"help", []string{"help"}, 0, "Usage:"},
		{"-h", []string{"-h"}, 0, "Usage:"},
		{"version", []string{"version"}, 0, "pgkeeper dev"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", []string{"--frob"}, 2, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, nil, tt.args...)
			if code != tt.wantCode || !strings.Contains(out+errOut, tt.wantIn) {
				t.Fatalf("exit %d, output:\n%s%s", code, out, errOut)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	url := pgtest.NewDB(t)
	dir := t.TempDir()
	// A role that may connect, and nothing more: no CREATE on the database
	// (for pgkeeper's schema), no CREATEDB (for restore tests).
	weak := fmt.Sprintf("pgk_weak_%d", time.Now().UnixNano())
	pgtest.Exec(t, pgtest.AdminURL(t), "CREATE ROLE "+weak+" LOGIN PASSWORD 'weak pw' NOCREATEDB")
	t.Cleanup(func() { pgtest.Exec(t, pgtest.AdminURL(t), "DROP ROLE IF EXISTS "+weak) })
	u, _ := neturl.Parse(url)
	u.User = neturl.UserPassword(weak, "weak pw")
	api := telegramtest.New(t)
	open := filepath.Join(dir, "open")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		env      map[string]string
		wantCode int
		want     []string
	}{
		{"all good", map[string]string{"DATABASE_URL": url, "PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": dir + "/b",
			"TELEGRAM_BOT_TOKEN": api.Token, "TELEGRAM_API_URL": api.URL, "TELEGRAM_ADMIN_IDS": "1001"},
			0, []string{"ok    config", "ok    database", "ok    pg_dump", "ok    pg_restore", "ok    backup dir", "ok    schema", "ok    restore", "ok    telegram"}},
		// The shell commands run without a bot: a warning, not a failure.
		{"no token nor admins", map[string]string{"DATABASE_URL": url, "PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": dir + "/b"},
			0, []string{"warn  config       serve would refuse: TELEGRAM_BOT_TOKEN: required to run the bot (from @BotFather); TELEGRAM_ADMIN_IDS: required",
				"ok    database", "ok    backup dir"}},
		{"a backup dir others can list", map[string]string{"DATABASE_URL": url, "PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": open},
			0, []string{"ok    backup dir   " + open + " is writable",
				"warn  backup dir   backup directory " + open + " is mode 0755: other users can list the backups; run chmod 700 " + open}},
		{"a role without the privileges", map[string]string{"DATABASE_URL": u.String(), "PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": dir + "/b"},
			1, []string{"ok    database", "FAIL  schema       role " + weak + " may not create schema pgkeeper: as an admin, run CREATE SCHEMA",
				"FAIL  restore      role " + weak + " may not create databases"}},
		{"unwritable backup dir", map[string]string{"DATABASE_URL": url, "PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": "/proc/nope"},
			1, []string{"ok    database", "FAIL  backup dir"}},
		{"unreachable database", map[string]string{"DATABASE_URL": "postgres://u:pw@127.0.0.1:1/x?connect_timeout=2", "PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": dir + "/b"},
			1, []string{"FAIL  database", "FAIL  pg_dump"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.env, "check")
			if code != tt.wantCode {
				t.Fatalf("exit %d (want %d):\n%s%s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("missing %q in:\n%s", w, out)
				}
			}
			if says := strings.Contains(out, "other users can"); says != (tt.env["BACKUP_DIR"] == open) {
				t.Errorf("check says other users can reach %s: %v:\n%s", tt.env["BACKUP_DIR"], says, out)
			}
		})
	}
}

func TestBackupShell(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 300, Days: 40})
	oldTools := t.TempDir()
	if err := os.WriteFile(oldTools+"/pg_dump", []byte("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tests := []struct {
		name     string
		args     []string
		bin      string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"dry run writes nothing", []string{"backup", "--dry-run"}, pgtest.BinDir(t), 0, "Backup dry run", ""},
		{"old pg_dump refused", []string{"backup"}, oldTools, 1, "Backup FAILED", "pg_dump 9.6.24 cannot handle server"},
		{"bad flag", []string{"backup", "--fast"}, pgtest.BinDir(t), 2, "", "flag provided but not defined"},
		{"backup", []string{"backup"}, pgtest.BinDir(t), 0, "Backup verified", ""},
		{"a failed copy off the machine", []string{"backup"}, pgtest.BinDir(t), 1, "Backup verified", "verified and kept here, but BACKUP_COPY_COMMAND failed: exit status 4: no route"},
		{"backups lists it", []string{"backups"}, pgtest.BinDir(t), 0, "Backups · 1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"DATABASE_URL": url, "PG_BIN_DIR": tt.bin, "BACKUP_DIR": dir}
			if strings.Contains(tt.name, "copy") {
				// A directory of its own: /backups below counts the others.
				env["BACKUP_DIR"], env["BACKUP_COPY_COMMAND"] = t.TempDir(), "echo no route >&2; exit 4"
			}
			code, out, errOut := runCLI(t, env, tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) || !strings.Contains(errOut, tt.wantErr) {
				t.Fatalf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errOut)
			}
		})
	}
}

func TestRestoreTestAndCleanupShell(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 2, Keys: 2000, Days: 60})
	dir := t.TempDir()
	env := map[string]string{"DATABASE_URL": url, "PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": dir}
	keys := pgtest.QueryInt(t, url, "SELECT count(*) FROM whatsapp_keys")
	u, _ := neturl.Parse(url)
	into := strings.TrimPrefix(u.Path, "/") + "_dr"
	intoURL := *u
	intoURL.Path = "/" + into
	t.Cleanup(func() { pgtest.Exec(t, pgtest.AdminURL(t), "DROP DATABASE IF EXISTS "+into) })
	steps := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"restore test without a backup fails", []string{"restore-test"}, 1, "Restore test FAILED"},
		{"backup", []string{"backup"}, 0, "Backup verified"},
		{"restore test", []string{"restore-test"}, 0, "Restore test passed"},
		{"restore needs --into", []string{"restore", "--yes"}, 2, ""},
		{"restore without --yes does nothing", []string{"restore", "--into", into}, 0, "Nothing was done"},
		{"restore", []string{"restore", "--into", into, "--yes"}, 0, "Restored and verified"},
		{"restore never over a database", []string{"restore", "--into", into, "--yes"}, 1, "never over one"},
		{"cleanup preview deletes nothing", []string{"cleanup"}, 0, "Nothing was deleted"},
		{"bad batch size", []string{"cleanup", "--yes", "--batch-size", "0"}, 2, ""},
		{"cleanup", []string{"cleanup", "--yes", "--batch-size", "100"}, 0, "Cleanup deleted"},
		{"undo", []string{"cleanup", "--undo"}, 0, "keys in the file came back"},
	}
	for _, s := range steps {
		code, out, errOut := runCLI(t, env, s.args...)
		if code != s.wantCode || !strings.Contains(out, s.wantOut) {
			t.Fatalf("%s: exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", s.name, code, s.wantCode, out, errOut)
		}
		switch s.name {
		case "restore without --yes does nothing":
			if n := pgtest.QueryInt(t, pgtest.AdminURL(t), "SELECT count(*) FROM pg_database WHERE datname = $1", into); n != 0 {
				t.Fatalf("%s: %s was made", s.name, into)
			}
		case "restore", "restore never over a database":
			if got := pgtest.QueryInt(t, intoURL.String(), "SELECT count(*) FROM whatsapp_keys"); got != keys {
				t.Fatalf("%s: %s holds %d keys, want %d", s.name, into, got, keys)
			}
		}
		if s.name == "cleanup preview deletes nothing" || s.name == "undo" {
			if got := pgtest.QueryInt(t, url, "SELECT count(*) FROM whatsapp_keys"); got != keys {
				t.Fatalf("%s: %d keys, want %d", s.name, got, keys)
			}
		}
	}
	if n := pgtest.QueryInt(t, url, "SELECT count(*) FROM pg_database WHERE datname LIKE '%pgkeeper_restore%'"); n != 0 {
		t.Fatalf("%d scratch databases left behind", n)
	}
}

// The shell's status shows each job's last run from pgkeeper's schema, but
// never creates that schema nor writes to it: it runs as a health check.
func TestShellStatusReadsHistoryWithoutWriting(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 300, Days: 40})
	env := map[string]string{"DATABASE_URL": url, "PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": filepath.Join(t.TempDir(), "backups")}
	schemaCount := "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgkeeper'"

	if _, out, _ := runCLI(t, env, "status"); strings.Contains(out, "Last runs") {
		t.Errorf("last runs shown before any job ran:\n%s", out)
	}
	if n := pgtest.QueryInt(t, url, schemaCount); n != 0 {
		t.Fatalf("status created pgkeeper's schema")
	}

	if code, out, errOut := runCLI(t, env, "backup"); code != 0 {
		t.Fatalf("backup exit %d:\n%s%s", code, out, errOut)
	}
	samples := "SELECT count(*) FROM pgkeeper.samples"
	before := pgtest.QueryInt(t, url, samples)
	code, out, errOut := runCLI(t, env, "status")
	if code != 0 || !strings.Contains(out, "Last runs") || !regexp.MustCompile(`backup ok .* ago · took .* · shell`).MatchString(out) {
		t.Fatalf("exit %d, want 0 and the backup's last run; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if after := pgtest.QueryInt(t, url, samples); after != before {
		t.Errorf("status stored %d samples, want none", after-before)
	}
}

// A broken backup shows in `pgkeeper backups`, and --prune-broken removes it
// only with --yes.
func TestPruneBrokenShell(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 100, Days: 40})
	dir := t.TempDir()
	env := map[string]string{"DATABASE_URL": url, "PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": dir}
	if code, out, errOut := runCLI(t, env, "backup"); code != 0 {
		t.Fatalf("backup: exit %d\n%s\n%s", code, out, errOut)
	}
	manifests, _ := filepath.Glob(filepath.Join(dir, "*.manifest.json"))
	if len(manifests) != 1 {
		t.Fatalf("manifests: %v", manifests)
	}
	os.WriteFile(manifests[0], []byte("{"), 0o600)
	count := func() int { all, _ := os.ReadDir(dir); return len(all) }
	before := count()
	steps := []struct {
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
		files    int
	}{
		{[]string{"backups"}, 0, "Broken · 1", "", before},
		{[]string{"backups", "--yes"}, 2, "", "--yes confirms --prune-broken", before},
		{[]string{"backups", "--prune-broken"}, 0, "1 broken backups would be removed", "", before},
		{[]string{"backups", "--prune-broken", "--yes"}, 0, "Removed 1 broken backups", "", 0},
		{[]string{"backups"}, 0, "Backups · 0", "", 0},
	}
	for _, s := range steps {
		code, out, errOut := runCLI(t, env, s.args...)
		if code != s.wantCode || !strings.Contains(out, s.wantOut) || !strings.Contains(errOut, s.wantErr) || count() != s.files {
			t.Fatalf("%v: exit %d (want %d), %d files (want %d)\nstdout:\n%s\nstderr:\n%s", s.args, code, s.wantCode, count(), s.files, out, errOut)
		}
	}
}
