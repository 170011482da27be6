package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/store"
)

// BACKUP_PARALLEL counts per server across processes: two `pgkeeper backup
// --all` started together, each over two databases of one server (each
// alone would run BACKUP_PARALLEL at once, the two together twice that),
// run exactly BACKUP_PARALLEL dumps at most at once between them (a
// PG_BIN_DIR whose pg_dump logs when each dump starts and ends, and lasts
// 300 ms at least), and each backs up its databases.
func TestBackupParallelAcrossProcesses(t *testing.T) {
	urls := map[string]string{}
	for _, n := range []string{"a", "b", "c", "d"} {
		urls[n] = pgtest.NewDB(t)
		pgtest.Exec(t, urls[n], "CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 50)")
	}
	// Disjoint: two runs of one database's backup at once would meet on its
	// heavy-job lock, and the shell's backup does not wait for it.
	sets := [][]string{{"a", "b"}, {"c", "d"}}
	for _, parallel := range []int{1, 2} {
		t.Run("BACKUP_PARALLEL="+strconv.Itoa(parallel), func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "dumps.log")
			bin := loggingPgDump(t, log)
			var procs []*mainProcess
			var dirs []string
			for i, names := range sets {
				dir := filepath.Join(t.TempDir(), "backups"+strconv.Itoa(i))
				env := map[string]string{"PG_BIN_DIR": bin, "BACKUP_PARALLEL": strconv.Itoa(parallel), "BACKUP_DIR": dir}
				for _, n := range names {
					env["DATABASE_URL_"+strings.ToUpper(n)] = urls[n]
				}
				procs, dirs = append(procs, startMain(t, env, "backup", "--all")), append(dirs, dir)
			}
			for i, p := range procs {
				if code := p.exitCode(t); code != exitOK {
					t.Fatalf("process %d: exit %d\n%s\n%s", i, code, p.stdout.String(), p.stderr.String())
				}
				if strings.Contains(p.stderr.String(), "counts for this pgkeeper process only") {
					t.Errorf("process %d fell back to a per-process limit:\n%s", i, p.stderr.String())
				}
				for _, n := range sets[i] {
					if got := len(verifiedManifests(t, filepath.Join(dirs[i], n))); got != 1 {
						t.Errorf("process %d: %d backups of %s, want 1", i, got, n)
					}
				}
			}
			most, dumps := dumpsAtOnce(t, log)
			if dumps != len(urls) {
				t.Errorf("%d dumps logged, want %d", dumps, len(urls))
			}
			if most != parallel {
				t.Errorf("at most %d dumps at once across both processes, want %d", most, parallel)
			}
			t.Logf("%d dumps, at most %d at once", dumps, most)
		})
	}
}

// loggingPgDump is a PG_BIN_DIR whose pg_dump, for a database's dump,
// appends "start NANOS PID" and "end NANOS PID" to log around the real one
// and lasts 300 ms at least, so that overlaps show.
func loggingPgDump(t *testing.T, log string) string {
	real := filepath.Join(pgtest.BinDir(t), "pg_dump")
	return pgtest.ToolsDir(t, map[string]string{"pg_dump": `case "$*" in *--format=custom*)
  echo "start $(date +%s%N) $$" >> '` + log + `'
  sleep 0.3
  '` + real + `' "$@"; rc=$?
  echo "end $(date +%s%N) $$" >> '` + log + `'
  exit $rc;;
esac
exec '` + real + `' "$@"
`})
}

// dumpsAtOnce reads loggingPgDump's log: the most dumps running at one
// time, and how many ran.
func dumpsAtOnce(t *testing.T, log string) (most, dumps int) {
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	type event struct {
		at    int64
		delta int
	}
	var events []event
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("log line %q", line)
		}
		at, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		e := event{at: at, delta: -1}
		if f[0] == "start" {
			e.delta, dumps = 1, dumps+1
		}
		events = append(events, e)
	}
	// At one instant an end counts before a start: touching is not overlapping.
	slices.SortFunc(events, func(a, b event) int {
		if a.at != b.at {
			return int(a.at - b.at)
		}
		return a.delta - b.delta
	})
	now := 0
	for _, e := range events {
		now += e.delta
		most = max(most, now)
	}
	return most, dumps
}

// Without the server's database postgres (gone, or no CONNECT on it) the
// backups still run, within this process's BACKUP_PARALLEL, and stderr
// says so once for the server, naming the fix.
func TestBackupParallelWithoutPostgres(t *testing.T) {
	// A cluster of this test's own: renaming "postgres" on the shared one
	// (or on TEST_DATABASE_URL's server) would pull it from under the rest.
	two := secondServer(t)
	var a, b string
	for i, name := range []string{"slots_a", "slots_b"} {
		pgtest.Exec(t, two, `CREATE DATABASE `+name)
		u, err := store.WithDatabase(two, name)
		if err != nil {
			t.Fatal(err)
		}
		pgtest.Exec(t, u, "CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 50)")
		if i == 0 {
			a = u
		} else {
			b = u
		}
	}
	pgtest.Exec(t, a, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'postgres'")
	pgtest.Exec(t, a, "ALTER DATABASE postgres RENAME TO postgres_away14")
	dir := filepath.Join(t.TempDir(), "backups")
	env := map[string]string{"DATABASE_URL_A": a, "DATABASE_URL_B": b, "PG_BIN_DIR": pgtest.BinDir(t),
		"BACKUP_DIR": dir, "BACKUP_PARALLEL": "1"}
	code, stdout, stderr := runFleet(t, env, "backup", "--all")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if n := strings.Count(stderr, "counts for this pgkeeper process only"); n != 1 || !strings.Contains(stderr, "CONNECT on the server's database postgres") {
		t.Errorf("warned %d times, want once naming the fix:\n%s", n, stderr)
	}
	for _, n := range []string{"a", "b"} {
		if got := len(verifiedManifests(t, filepath.Join(dir, n))); got != 1 {
			t.Errorf("%d backups of %s, want 1", got, n)
		}
	}
	if most := mostAtOnce(append(verifiedManifests(t, filepath.Join(dir, "a")), verifiedManifests(t, filepath.Join(dir, "b"))...)); most != 1 {
		t.Errorf("%d backups at once, want 1 (the process's own limit)", most)
	}
}
