package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
)

// With several databases, `pgkeeper status` is one line per database,
// worst first, and exits with the worst level; --db NAME is today's full
// report of that one.
func TestStatusOverviewWorstFirst(t *testing.T) {
	seed := pgtest.Seed{Companies: 1, Keys: 50, Days: 5}
	env := map[string]string{
		"DATABASE_URL_APP":     pgtest.NewBaileysDB(t, seed),
		"DATABASE_URL_CRM":     pgtest.NewBaileysDB(t, seed),
		"STATUS_TABLES_CRM":    "whatsapp_auth,no_such_table", // a warning
		"DATABASE_URL_GONE":    droppedDB(t, "fleet_gone_status"),
		"PG_BIN_DIR":           pgtest.BinDir(t),
		"BACKUP_DIR":           filepath.Join(t.TempDir(), "backups"),
		"BACKUP_MAX_AGE_HOURS": "48",
	}
	if code, out, errOut := runFleet(t, env, "backup", "--db", "app"); code != exitOK {
		t.Fatalf("backup app: exit %d\n%s\n%s", code, out, errOut)
	}
	code, stdout, stderr := runFleet(t, env, "status")
	lines := strings.Split(stdout, "\n")
	if code != exitUsage || len(lines) < 4 {
		t.Fatalf("exit %d, want 2 (the worst)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	want := []string{"[crit] pgkeeper status · 3 databases", "[crit] gone · unreachable", "[warn] crm · ", "[ok]   app · healthy · newest backup "}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d: %q, want %q…\n%s", i, lines[i], w, stdout)
		}
	}
	if !strings.Contains(lines[3], "keys expired 0") || !strings.Contains(lines[2], "no verified backup") {
		t.Errorf("the rows miss the backup's age or the keys expired:\n%s", stdout)
	}

	code, stdout, _ = runFleet(t, env, "status", "--db", "crm")
	if code != exitFailed || !strings.Contains(stdout, "pgkeeper status · "+dbOf(t, env["DATABASE_URL_CRM"])) || !strings.Contains(stdout, "no_such_table") {
		t.Errorf("status --db crm: exit %d, want 1 and its full report:\n%s", code, stdout)
	}

	delete(env, "DATABASE_URL_GONE")
	t.Setenv("DATABASE_URL_GONE", "") // unset as lookup sees it; the name is skipped
	code, stdout, _ = runFleet(t, env, "status")
	if code != exitFailed || !strings.HasPrefix(stdout, "[warn] pgkeeper status · 2 databases") {
		t.Errorf("without gone: exit %d, want 1 (crm's warning)\n%s", code, stdout)
	}
}
