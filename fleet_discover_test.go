package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
)

// DATABASE_SERVER_<NAME> finds its databases at each run: not templates,
// not pgkeeper's scratch databases, not the excluded ones, not those
// configured by URL; a name that needs quoting gets its own directory and
// its backup; two databases sharing a name are refused, the others go on;
// a database made after a run is found by the next.
func TestServerDiscovery(t *testing.T) {
	admin := pgtest.AdminURL(t)
	app := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 20, Days: 5})
	sales := pgtest.NewNamedDB(t, "Fleet Sales-DB 2")
	pgtest.Exec(t, sales, "CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 100)")
	pgtest.NewNamedDB(t, "fleet_tmpl")
	pgtest.Exec(t, admin, `ALTER DATABASE fleet_tmpl IS_TEMPLATE true`)
	t.Cleanup(func() { pgtest.Exec(t, admin, `ALTER DATABASE fleet_tmpl IS_TEMPLATE false`) }) // so it can be dropped
	pgtest.NewNamedDB(t, "fleet_app_pgkeeper_restore_20260101_000000")
	pgtest.NewNamedDB(t, "fleet_skip")
	pgtest.NewNamedDB(t, "fleet-dup")
	pgtest.NewNamedDB(t, "fleet_dup")
	mine := []string{dbOf(t, app), "Fleet Sales-DB 2", "fleet_tmpl", "fleet_app_pgkeeper_restore_20260101_000000", "fleet-dup", "fleet_dup"}
	dir := filepath.Join(t.TempDir(), "backups")
	env := map[string]string{
		"DATABASE_URL_APP":               app,
		"DATABASE_SERVER_MAIN":           admin,
		"DATABASE_SERVER_MAIN_EXCLUDE":   othersOnServer(t, mine...), // fleet_skip among them
		"PGKEEPER_STATE_URL":             app,
		"PG_BIN_DIR":                     pgtest.BinDir(t),
		"BACKUP_DIR":                     dir,
		"RESTORE_FINGERPRINT_TABLES_APP": "whatsapp_keys",
	}
	if !strings.Contains(env["DATABASE_SERVER_MAIN_EXCLUDE"], "fleet_skip") {
		t.Fatalf("exclude list %q", env["DATABASE_SERVER_MAIN_EXCLUDE"])
	}
	found := func() []string {
		t.Helper()
		_, _, stderr := runFleet(t, env, "backup")
		_, list, ok := strings.Cut(stderr, "the databases are ")
		if !ok {
			t.Fatalf("no list of the databases:\n%s", stderr)
		}
		return strings.Split(strings.TrimSpace(list), ", ")
	}
	if got, want := found(), []string{"app", "fleet_dup", "fleet_sales_db_2"}; !slices.Equal(got, want) {
		t.Fatalf("found %v, want %v", got, want)
	}

	code, stdout, stderr := runFleet(t, env, "backup", "--db", "fleet_sales_db_2")
	if code != exitOK {
		t.Fatalf("backup --db fleet_sales_db_2: exit %d\n%s\n%s", code, stdout, stderr)
	}
	ms := verifiedManifests(t, filepath.Join(dir, "fleet_sales_db_2"))
	if len(ms) != 1 || ms[0].Database != "Fleet Sales-DB 2" {
		t.Fatalf("manifests %+v, want one of \"Fleet Sales-DB 2\"", ms)
	}

	code, stdout, stderr = runFleet(t, env, "restore-test", "--db", "fleet_sales_db_2")
	if code != exitOK || !strings.Contains(stdout, "Restore test passed") {
		t.Fatalf("restore-test --db fleet_sales_db_2: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if n := pgtest.QueryInt(t, admin, "SELECT count(*) FROM pg_database WHERE datname LIKE 'Fleet Sales-DB 2_pgkeeper_restore_%'"); n != 0 {
		t.Errorf("%d scratch databases of it left", n)
	}

	code, _, stderr = runFleet(t, env, "backup", "--db", "fleet_dup")
	if code != exitUsage || !strings.Contains(stderr, `would be called fleet_dup, as database "fleet`) {
		t.Errorf("backup --db fleet_dup: exit %d, want 2 and the clash named\n%s", code, stderr)
	}

	pgtest.NewNamedDB(t, "fleet_late")
	if got := found(); !slices.Contains(got, "fleet_late") {
		t.Errorf("fleet_late, made after the first run, not found by the next: %v", got)
	}

	// --all: a server that cannot be listed and the clashing names fail,
	// named; every other database is backed up.
	env["DATABASE_SERVER_DOWN"] = "postgres://u:down-pw@127.0.0.1:1/postgres?connect_timeout=2"
	code, stdout, stderr = runFleet(t, env, "backup", "--all")
	if code != exitFailed || !strings.Contains(stderr, "server down: pgkeeper backup: cannot list the databases of server down") ||
		!strings.Contains(stderr, "fleet_dup: pgkeeper backup: database") {
		t.Errorf("backup --all: exit %d, want 1, the server and the clash named\n%s", code, stderr)
	}
	for _, name := range []string{"app", "fleet_sales_db_2", "fleet_late"} {
		if !strings.Contains(stdout, name+": [ok]   Backup verified") {
			t.Errorf("%s not backed up:\n%s", name, stdout)
		}
	}
	if n := len(verifiedManifests(t, filepath.Join(dir, "fleet_late"))); n != 1 {
		t.Errorf("fleet_late: %d backups", n)
	}
	if strings.Contains(stdout+stderr, "down-pw") {
		t.Error("a server's password printed")
	}
}
