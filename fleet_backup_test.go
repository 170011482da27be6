package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
)

// backup --all over four databases, one of them dropped and one on a
// server that refuses connections: the two others are backed up and
// verified in their own directories, each unreachable one is reported with
// its name, and the exit code is 1.
func TestBackupAllGoesOnPastAnUnreachableDatabase(t *testing.T) {
	seed := pgtest.Seed{Companies: 1, Keys: 50, Days: 5}
	dir := filepath.Join(t.TempDir(), "backups")
	env := map[string]string{
		"DATABASE_URL_APP":  pgtest.NewBaileysDB(t, seed),
		"DATABASE_URL_CRM":  pgtest.NewBaileysDB(t, seed),
		"DATABASE_URL_GONE": droppedDB(t, "fleet_gone_backup"),
		"DATABASE_URL_OFF":  "postgres://u:off-secret@127.0.0.1:1/off?connect_timeout=2",
		"PG_BIN_DIR":        pgtest.BinDir(t), "BACKUP_DIR": dir,
	}
	code, stdout, stderr := runFleet(t, env, "backup", "--all")
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, name := range []string{"app", "crm"} {
		if ms := verifiedManifests(t, filepath.Join(dir, name)); len(ms) != 1 || ms[0].Database != dbOf(t, env["DATABASE_URL_"+strings.ToUpper(name)]) {
			t.Errorf("%s: manifests %+v, want one of its database", name, ms)
		}
		if !strings.Contains(stdout, name+": ") {
			t.Errorf("no report of %s:\n%s", name, stdout)
		}
	}
	if ms := verifiedManifests(t, filepath.Join(dir, "gone")); len(ms) != 0 {
		t.Errorf("gone: %d manifests", len(ms))
	}
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if !strings.HasPrefix(l, "app: ") && !strings.HasPrefix(l, "crm: ") && !strings.HasPrefix(l, "gone: ") && !strings.HasPrefix(l, "off: ") {
			t.Errorf("a line names no database: %q", l)
		}
	}
	if !strings.Contains(stderr, "gone: pgkeeper backup: ") || !strings.Contains(stderr, "off: pgkeeper backup: ") ||
		!strings.Contains(stderr, "pgkeeper backup --all: 2 of 4 failed: gone, off") {
		t.Errorf("the failures are not named:\n%s", stderr)
	}
	if strings.Contains(stdout+stderr, "off-secret") || (strings.Contains(stdout+stderr, pgtest.Password(t)) && pgtest.Password(t) != "") {
		t.Error("a password printed")
	}
}
