package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
)

// restore-test --all and cleanup --all run each database's own job, each
// recorded in its own database's pgkeeper schema; cleanup --all leaves out
// a database without a keys table and deletes only with --yes.
func TestRestoreTestAndCleanupAll(t *testing.T) {
	seed := pgtest.Seed{Companies: 1, Keys: 300, Days: 40}
	env := map[string]string{
		"DATABASE_URL_APP": pgtest.NewBaileysDB(t, seed),
		"DATABASE_URL_CRM": pgtest.NewBaileysDB(t, seed),
		"KEYS_TABLE_CRM":   "", // no keys table: no cleanup
		"PG_BIN_DIR":       pgtest.BinDir(t), "BACKUP_DIR": filepath.Join(t.TempDir(), "backups"),
	}
	keys := func(name string) int64 {
		return pgtest.QueryInt(t, env["DATABASE_URL_"+strings.ToUpper(name)], "SELECT count(*) FROM whatsapp_keys")
	}
	before := keys("app")
	steps := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
	}{
		{"backup", []string{"backup", "--all"}, 0, []string{"app: [ok]   Backup verified", "crm: [ok]   Backup verified"}},
		{"restore test", []string{"restore-test", "--all"}, 0, []string{"app: [ok]   Restore test passed", "crm: [ok]   Restore test passed"}},
		{"cleanup preview", []string{"cleanup", "--all"}, 0, []string{"app: Nothing was deleted", "crm: no keys table (KEYS_TABLE is empty for it): skipped"}},
		{"cleanup", []string{"cleanup", "--all", "--yes"}, 0, []string{"app: [ok]   Cleanup deleted", "crm: no keys table"}},
	}
	for _, s := range steps {
		code, stdout, stderr := runFleet(t, env, s.args...)
		for _, w := range s.wantOut {
			if code != s.wantCode || !strings.Contains(stdout, w) {
				t.Fatalf("%s: exit %d (want %d), want %q\nstdout:\n%s\nstderr:\n%s", s.name, code, s.wantCode, w, stdout, stderr)
			}
		}
		if s.name == "cleanup preview" && keys("app") != before {
			t.Fatalf("the preview deleted keys")
		}
	}
	if keys("app") >= before || keys("crm") != before {
		t.Errorf("keys: app %d, crm %d, of %d each: want app's expired gone and crm's all kept", keys("app"), keys("crm"), before)
	}
	for _, name := range []string{"app", "crm"} {
		runs := pgtest.QueryInt(t, env["DATABASE_URL_"+strings.ToUpper(name)],
			"SELECT count(*) FROM pgkeeper.job_runs WHERE job IN ('backup', 'restore_test', 'cleanup')")
		if want := map[string]int64{"app": 3, "crm": 2}[name]; runs != want {
			t.Errorf("%s: %d runs recorded in its own schema, want %d", name, runs, want)
		}
	}
}
