package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
)

// holdingTools is PG_BIN_DIR with a pg_dump that dumps, except once: the
// first dump to start after the test creates flags/hold writes its
// pgkeeper's pid to flags/held and hangs for as long as that pgkeeper lives.
func holdingTools(t *testing.T, flags string) string {
	t.Helper()
	real := filepath.Join(pgtest.BinDir(t), "pg_dump")
	return pgtest.ToolsDir(t, map[string]string{"pg_dump": fmt.Sprintf(`if [ "$1" = --version ]; then exec "%[1]s" --version; fi
if mv "%[2]s/hold" "%[2]s/taken" 2>/dev/null; then
  echo $PPID > "%[2]s/held.tmp" && mv "%[2]s/held.tmp" "%[2]s/held"
  while kill -0 $PPID 2>/dev/null; do sleep 0.05; done
  exit 1
fi
exec "%[1]s" "$@"
`, real, flags)})
}

// poll waits until ready holds, or fails after within.
func poll(t *testing.T, what string, within time.Duration, ready func() bool) {
	t.Helper()
	for deadline := time.Now().Add(within); !ready(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never happened within %s", what, within)
		}
	}
}

// runningOf is the database and tick of the scheduled run that instance pid
// is running.
func runningOf(t *testing.T, p *mainProcess, dbs map[string]string, pid int) (name string, slot time.Time) {
	t.Helper()
	p.waitUntil(t, fmt.Sprintf("the running row of pid %d", pid), func() bool {
		for n, url := range dbs {
			s := pgtest.QueryStrings(t, url, `SELECT (extract(epoch FROM slot) * 1000)::bigint::text FROM pgkeeper.job_runs
				WHERE outcome = 'running' AND slot IS NOT NULL AND instance LIKE '% pid ' || $1`, fmt.Sprint(pid))
			if len(s) == 1 {
				ms, err := strconv.ParseInt(s[0], 10, 64)
				name, slot = n, time.UnixMilli(ms)
				return err == nil
			}
		}
		return false
	})
	return name, slot
}

// tickRun is what a database's history holds of one tick of its backups.
type tickRun struct {
	slot               time.Time
	count              int
	outcomes, instance string
	errors             string
}

// ticksOf is every tick of name's scheduled backups in its history, oldest
// first.
func ticksOf(t *testing.T, url, name string) []tickRun {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	rows, err := conn.Query(t.Context(), `SELECT slot, count(*), string_agg(outcome, ',' ORDER BY id), string_agg(instance, ',' ORDER BY id), string_agg(error, ' | ' ORDER BY id)
		FROM pgkeeper.job_runs WHERE job = 'backup' AND slot IS NOT NULL GROUP BY slot ORDER BY slot`)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (tickRun, error) {
		var tr tickRun
		return tr, r.Scan(&tr.slot, &tr.count, &tr.outcomes, &tr.instance, &tr.errors)
	})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no scheduled backup in its history", name)
	}
	return out
}

// stopAll sends SIGTERM to every process at once and waits for each: each
// must exit 0 within 30 s.
func stopAll(t *testing.T, procs []*mainProcess) {
	t.Helper()
	for _, p := range procs {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range procs {
		if code := p.exitCode(t); code != 0 {
			t.Errorf("exit %d after SIGTERM:\n%s", code, strings.TrimSpace(p.stderr.String()))
		}
	}
}
