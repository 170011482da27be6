package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
)

// --db picks one database; a name of none, no flag with several databases,
// or flags that do not go together are refused with exit 2, the names
// listed, before anything is written.
func TestDatabaseSelection(t *testing.T) {
	seed := pgtest.Seed{Companies: 1, Keys: 20, Days: 5}
	dir := filepath.Join(t.TempDir(), "backups")
	env := map[string]string{
		"DATABASE_URL_APP": pgtest.NewBaileysDB(t, seed),
		"DATABASE_URL_CRM": pgtest.NewBaileysDB(t, seed),
		"PG_BIN_DIR":       pgtest.BinDir(t), "BACKUP_DIR": dir,
		// serve's own needs, so that what it is refused for is the databases
		"TELEGRAM_BOT_TOKEN": "123456:test-token", "TELEGRAM_ADMIN_IDS": "42",
	}
	refused := []struct {
		name string
		args []string
		want string
	}{
		{"unknown name", []string{"backup", "--db", "billing"}, `pgkeeper backup: no database "billing": the databases are app, crm`},
		{"no flag", []string{"backup"}, "2 databases are guarded: name one with --db NAME, or run backup, restore-test, cleanup or backups on every one with --all; the databases are app, crm"},
		{"no flag to cleanup", []string{"cleanup", "--yes"}, "the databases are app, crm"},
		{"both flags", []string{"backup", "--db", "app", "--all"}, "--db NAME or --all, not both"},
		{"--db twice", []string{"backup", "--db", "app", "--db=crm"}, "--db is given once"},
		{"--db without a name", []string{"backup", "--db"}, "--db needs the database's name"},
		{"--all on restore", []string{"restore", "--into", "x", "--all"}, "--all is for backup, restore-test, cleanup and backups"},
		{"--all with one backup's name", []string{"restore-test", "--all", "--backup", "x"}, "--backup names one database's backup"},
		{"--all with undo", []string{"cleanup", "--all", "--undo"}, "--undo puts one database's cleanup back"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runFleet(t, env, tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and %q", code, stdout, stderr, tt.want)
			}
		})
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("BACKUP_DIR was touched: %v", err)
	}

	if code, stdout, stderr := runFleet(t, env, "backup", "--db=CRM"); code != exitOK || strings.Contains(stdout, "crm: ") {
		t.Fatalf("backup --db CRM: exit %d, want 0 and today's report\n%s\n%s", code, stdout, stderr)
	}
	if n := len(verifiedManifests(t, filepath.Join(dir, "crm"))); n != 1 {
		t.Errorf("crm: %d backups, want 1", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "app")); !os.IsNotExist(err) {
		t.Errorf("app was backed up too: %v", err)
	}
	if code, stdout, _ := runFleet(t, env, "backups", "--db", "crm"); code != exitOK || !strings.Contains(stdout, dbOf(t, env["DATABASE_URL_CRM"])) {
		t.Errorf("backups --db crm: exit %d\n%s", code, stdout)
	}
}

// The single DATABASE_URL is called after its database: --db with that
// name is the same as no flag, backups stay flat in BACKUP_DIR, and
// another name is refused.
func TestSingleDatabaseByItsName(t *testing.T) {
	url := pgtest.NewNamedDB(t, "Fleet-Single")
	pgtest.Exec(t, url, "CREATE TABLE whatsapp_auth (id int PRIMARY KEY); CREATE TABLE whatsapp_keys (id int, created_at timestamptz)")
	dir := filepath.Join(t.TempDir(), "backups")
	env := map[string]string{"DATABASE_URL": url, "PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": dir}
	if code, stdout, stderr := runFleet(t, env, "backup", "--db", "other"); code != exitUsage || stdout != "" ||
		!strings.Contains(stderr, `no database "other": the databases are fleet_single`) {
		t.Fatalf("--db other: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, stderr := runFleet(t, env, "backup", "--db", "fleet_single"); code != exitOK {
		t.Fatalf("--db fleet_single: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if n := len(verifiedManifests(t, dir)); n != 1 {
		t.Errorf("%d backups in BACKUP_DIR itself, want 1", n)
	}
}

// One DATABASE_URL_<NAME> alone needs no flag: it is the database, with
// its files in BACKUP_DIR/<name>.
func TestOneNamedDatabaseAlone(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backups")
	env := map[string]string{"DATABASE_URL_BILLING": pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 20, Days: 5}),
		"PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": dir}
	if code, stdout, stderr := runFleet(t, env, "backup"); code != exitOK {
		t.Fatalf("backup: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if n := len(verifiedManifests(t, filepath.Join(dir, "billing"))); n != 1 {
		t.Errorf("%d backups in BACKUP_DIR/billing, want 1", n)
	}
}
