package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
)

// A database found by discovery and dropped before its turn comes fails
// alone, named; the other is backed up. The next `backup --all` no longer
// lists it, and backs up a database made since. The drop is made real by a
// PG_BIN_DIR whose pg_dump, on the run's first dump (whichever database's,
// one at a time: BACKUP_PARALLEL=1), drops the other database, then runs
// the real pg_dump.
func TestBackupAllDatabaseDroppedAfterDiscovery(t *testing.T) {
	x, y := "fleet_drop_x", "fleet_drop_y"
	for _, name := range []string{x, y} {
		pgtest.Exec(t, pgtest.NewNamedDB(t, name), "CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 50)")
	}
	marker := filepath.Join(t.TempDir(), "dropped")
	bin := pgtest.ToolsDir(t, map[string]string{"pg_dump": `case "$*" in *--format=custom*)
  if mkdir '` + marker + `' 2>/dev/null; then
    victim=` + x + `; [ "$PGDATABASE" = ` + x + ` ] && victim=` + y + `
    echo "$victim" > '` + marker + `/victim'
    '` + filepath.Join(pgtest.BinDir(t), "psql") + `' -q -d postgres -c "DROP DATABASE $victim WITH (FORCE)" >&2 || exit 1
  fi;;
esac
exec '` + filepath.Join(pgtest.BinDir(t), "pg_dump") + `' "$@"
`})
	dir := filepath.Join(t.TempDir(), "backups")
	env := map[string]string{
		"DATABASE_SERVER_MAIN": pgtest.AdminURL(t), "PGKEEPER_STATE_URL": pgtest.NewDB(t),
		"BACKUP_PARALLEL": "1", "PG_BIN_DIR": bin, "BACKUP_DIR": dir,
	}
	env["DATABASE_SERVER_MAIN_EXCLUDE"] = othersOnServer(t, x, y)
	code, stdout, stderr := runFleet(t, env, "backup", "--all")
	data, err := os.ReadFile(filepath.Join(marker, "victim"))
	if err != nil {
		t.Fatalf("no database was dropped (%v):\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	victim := strings.TrimSpace(string(data))
	survivor := map[string]string{x: y, y: x}[victim]
	if code != exitFailed || !strings.Contains(stderr, victim+": pgkeeper backup: ") ||
		!strings.Contains(stderr, "pgkeeper backup --all: 1 of 2 failed: "+victim) {
		t.Errorf("exit %d, want 1 and %s named as failed\nstdout:\n%s\nstderr:\n%s", code, victim, stdout, stderr)
	}
	if !strings.Contains(stdout, survivor+": [ok]   Backup verified") || len(verifiedManifests(t, filepath.Join(dir, survivor))) != 1 {
		t.Errorf("%s not backed up:\n%s", survivor, stdout)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, victim, "*")); len(left) != 0 {
		t.Errorf("%s's directory holds %v after its failed backup", victim, left)
	}

	late := "fleet_drop_late"
	pgtest.NewNamedDB(t, late) // not in the exclude list, made after it was read
	code, stdout, stderr = runFleet(t, env, "backup", "--all")
	if code != exitOK || strings.Contains(stdout+stderr, victim) {
		t.Errorf("the next run: exit %d, want 0 and %s no longer listed\nstdout:\n%s\nstderr:\n%s", code, victim, stdout, stderr)
	}
	for name, want := range map[string]int{survivor: 2, late: 1} {
		if n := len(verifiedManifests(t, filepath.Join(dir, name))); n != want {
			t.Errorf("%s: %d backups after the second run, want %d", name, n, want)
		}
	}
}

// A database whose name needs quoting (a space, upper case, a dash),
// configured by DATABASE_URL_<NAME> and found on a server, with BACKUP_DIR
// and the copy command's target under directories whose names need quoting
// too: each is backed up in its own directory, copied by
// BACKUP_COPY_COMMAND, listed, and restore-tested.
func TestQuotedNamesEverywhere(t *testing.T) {
	named, found := "Fleet Q-Sales 3", "Fleet Q-Disc 4"
	for _, name := range []string{named, found} {
		pgtest.Exec(t, pgtest.NewNamedDB(t, name), "CREATE TABLE \"Orders-1\" (id int PRIMARY KEY); INSERT INTO \"Orders-1\" SELECT generate_series(1, 50)")
	}
	root := filepath.Join(t.TempDir(), "My Backups-1")
	dir, copies := filepath.Join(root, "Local Dir-A"), filepath.Join(root, "Off Site-B")
	if err := os.MkdirAll(copies, 0o700); err != nil {
		t.Fatal(err)
	}
	sales := strings.Replace(pgtest.AdminURL(t), "/postgres?", "/"+strings.ReplaceAll(named, " ", "%20")+"?", 1)
	if dbOf(t, sales) != named {
		t.Fatalf("URL %s names %q", sales, dbOf(t, sales))
	}
	env := map[string]string{
		"DATABASE_URL_SALES": sales, "DATABASE_SERVER_MAIN": pgtest.AdminURL(t),
		"PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": dir,
		"BACKUP_COPY_COMMAND":          `cp "$PGKEEPER_BACKUP_FILE" "$PGKEEPER_BACKUP_GLOBALS" '` + copies + `'/`,
		"DATABASE_SERVER_MAIN_EXCLUDE": othersOnServer(t, named, found),
	}
	code, stdout, stderr := runFleet(t, env, "backup", "--all")
	if code != exitOK {
		t.Fatalf("backup --all: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for name, db := range map[string]string{"sales": named, "fleet_q_disc_4": found} {
		ms := verifiedManifests(t, filepath.Join(dir, name))
		if len(ms) != 1 || ms[0].Database != db {
			t.Fatalf("%s: manifests %+v, want one of %q", name, ms, db)
		}
		if ms[0].Copy == nil || !ms[0].Copy.OK {
			t.Errorf("%s: copy %+v", name, ms[0].Copy)
		}
		if got, want := fileSHA256(t, filepath.Join(copies, ms[0].DumpFile())), ms[0].SHA256; got != want {
			t.Errorf("%s: the copy's sha256 %s, the backup's %s", name, got, want)
		}
		if code, stdout, _ := runFleet(t, env, "backups", "--db", name); code != exitOK || !strings.Contains(stdout, ms[0].Name) {
			t.Errorf("backups --db %s: exit %d, want %s listed\n%s", name, code, ms[0].Name, stdout)
		}
	}
	code, stdout, stderr = runFleet(t, env, "restore-test", "--all")
	if code != exitOK || strings.Count(stdout, "[ok]   Restore test passed") != 2 {
		t.Fatalf("restore-test --all: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if n := pgtest.QueryInt(t, pgtest.AdminURL(t), "SELECT count(*) FROM pg_database WHERE datname LIKE 'Fleet Q-%_pgkeeper_restore_%'"); n != 0 {
		t.Errorf("%d scratch databases left", n)
	}
}
