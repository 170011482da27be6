package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/pgkeeper/pgkeeper/internal/scratchpg"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/store"
)

// backup --all over three databases of the test server and two of a second
// cluster runs pg_dumpall once per server (counted by a PG_BIN_DIR whose
// pg_dumpall logs each roles dump, then runs the real one): every backup
// still has its own roles file, the same bytes as its server's others,
// each file's sha256 its manifest's; the second server's roles are its
// own; a backup then restores, its roles file beside it.
func TestBackupAllDumpsRolesOncePerServer(t *testing.T) {
	seed := pgtest.Seed{Companies: 1, Keys: 20, Days: 5}
	two := secondServer(t)
	pgtest.Exec(t, two, `CREATE ROLE "roles14 only-on-two"`)
	for _, name := range []string{"north", "south"} {
		pgtest.Exec(t, two, `CREATE DATABASE `+name)
		u, err := store.WithDatabase(two, name)
		if err != nil {
			t.Fatal(err)
		}
		pgtest.Exec(t, u, "CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 50)")
	}
	bin, log := countingDumpall(t)
	dir := filepath.Join(t.TempDir(), "backups")
	env := map[string]string{
		"DATABASE_URL_APP": pgtest.NewBaileysDB(t, seed), "DATABASE_URL_CRM": pgtest.NewBaileysDB(t, seed),
		"DATABASE_URL_BILLING": pgtest.NewBaileysDB(t, seed),
		"DATABASE_SERVER_TWO":  two, "DATABASE_SERVER_TWO_EXCLUDE": "postgres",
		"BACKUP_PARALLEL": "2", "PG_BIN_DIR": bin, "BACKUP_DIR": dir,
	}
	code, stdout, stderr := runFleet(t, env, "backup", "--all")
	if code != exitOK {
		t.Fatalf("backup --all: exit %d\n%s\n%s", code, stdout, stderr)
	}
	logged, _ := os.ReadFile(log)
	perPort := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(string(logged)), "\n") {
		port, _, _ := strings.Cut(l, " ")
		perPort[port]++
	}
	if len(perPort) != 2 || strings.Count(string(logged), "\n") != 2 {
		t.Errorf("pg_dumpall's roles dumps, by port and database:\n%s\nwant one on each of the two servers", logged)
	}
	servers := map[string][]string{"one": {"app", "crm", "billing"}, "two": {"north", "south"}}
	sums := map[string]string{}
	for server, names := range servers {
		for _, name := range names {
			ms := verifiedManifests(t, filepath.Join(dir, name))
			if len(ms) != 1 {
				t.Fatalf("%s: %d backups, want 1", name, len(ms))
			}
			m := ms[0]
			data, err := os.ReadFile(filepath.Join(dir, name, m.Globals))
			if err != nil || m.Globals == "" {
				t.Fatalf("%s: no roles file (%q, %s): %v", name, m.Globals, m.GlobalsNote, err)
			}
			if got := sha256Hex(data); got != m.GlobalsSHA256 {
				t.Errorf("%s: roles file sha256 %s, manifest says %s", name, got, m.GlobalsSHA256)
			}
			if sums[server] == "" {
				sums[server] = m.GlobalsSHA256
			} else if sums[server] != m.GlobalsSHA256 {
				t.Errorf("%s: roles %s, its server's others %s", name, m.GlobalsSHA256, sums[server])
			}
			if has := strings.Contains(unzstd(t, data), "roles14 only-on-two"); has != (server == "two") {
				t.Errorf("%s on server %s: the second server's own role in its roles file: %v", name, server, has)
			}
		}
	}
	if !strings.Contains(stdout, "roles saved (without passwords): the server's, dumped once at ") {
		t.Errorf("no backup says its roles were its server's shared ones:\n%s", stdout)
	}
	code, stdout, stderr = runFleet(t, env, "restore-test", "--db", "south")
	if code != exitOK || !strings.Contains(stdout, "Restore test passed") {
		t.Fatalf("restore-test --db south: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// countingDumpall is a PG_BIN_DIR of the real client tools whose
// pg_dumpall logs each roles dump ("PGPORT PGDATABASE" a line) to the file
// returned before it runs the real one.
func countingDumpall(t *testing.T) (binDir, log string) {
	t.Helper()
	log = filepath.Join(t.TempDir(), "dumpall.log")
	return pgtest.ToolsDir(t, map[string]string{"pg_dumpall": `case "$*" in *--globals-only*) echo "$PGPORT $PGDATABASE" >> '` + log + `';; esac
exec '` + filepath.Join(pgtest.BinDir(t), "pg_dumpall") + `' "$@"
`}), log
}

// secondServer starts a throwaway cluster of its own beside pgtest's (about a
// second), stopped when the test ends, and returns its superuser's URL.
func secondServer(t *testing.T) string {
	t.Helper()
	bins, err := scratchpg.FindBinDir(scratchpg.Bins)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no PostgreSQL server binaries: %v", err)
		}
		t.Skipf("no PostgreSQL server binaries: %v", err)
	}
	c, err := scratchpg.Start(bins, scratchpg.Options{User: "pgkeeper_two", Password: "two secret", Prefix: "pgkeeper-two-"})
	if err != nil {
		t.Fatalf("second server: %v", err)
	}
	t.Cleanup(c.Stop)
	return c.URL
}

// unzstd is a roles file's SQL.
func unzstd(t *testing.T, data []byte) string {
	t.Helper()
	r, err := zstd.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out bytes.Buffer
	if _, err := out.ReadFrom(r); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// fileSHA256 is the sha256 of the file at path.
func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256Hex(data)
}
