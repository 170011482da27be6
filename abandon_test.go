package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/metricstest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/telegramtest"
)

// A `pgkeeper backup` killed with SIGKILL mid-dump leaves its run "running";
// the next serve finds it at start (its heartbeat stopped), marks it
// abandoned with who found it, and shows it as a failure in /history,
// /status and the metrics.
func TestKilledRunIsAbandonedAtServeStart(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 50, Days: 5})
	prev := runHeartbeat
	runHeartbeat = 100 * time.Millisecond // serve's sweep: silent for 300 ms is dead
	t.Cleanup(func() { runHeartbeat = prev })

	// pg_dump that says it started, then waits as long as pgkeeper lives.
	marker := filepath.Join(t.TempDir(), "dumping")
	real := filepath.Join(pgtest.BinDir(t), "pg_dump")
	tools := pgtest.ToolsDir(t, map[string]string{"pg_dump": `if [ "$1" = --version ]; then exec "` + real + `" --version; fi
touch ` + marker + `
while kill -0 $PPID 2>/dev/null; do sleep 0.05; done
exit 1
`})
	p := startMain(t, map[string]string{"DATABASE_URL": url, "PG_BIN_DIR": tools, "BACKUP_DIR": t.TempDir(),
		"PGKEEPER_TEST_HEARTBEAT": "100ms"}, "backup")
	p.waitUntil(t, "pg_dump starting", func() bool { _, err := os.Stat(marker); return err == nil })
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
	running := func(extra string) int64 {
		return pgtest.QueryInt(t, url, "SELECT count(*) FROM pgkeeper.job_runs WHERE job = 'backup' AND outcome = 'running'"+extra)
	}
	if running("") != 1 {
		t.Fatalf("the killed backup left no running row:\n%s", p.stderr.String())
	}
	// Its heartbeat stopped with it: wait until it has been silent well
	// past the bound (on the database's clock, as the sweep judges).
	deadline := time.Now().Add(30 * time.Second)
	for running(" AND heartbeat_at < now() - interval '1 second'") != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the killed run's heartbeat never went silent")
		}
		time.Sleep(50 * time.Millisecond)
	}

	s := startGatedServe(t, true, map[string]string{"DATABASE_URL": url, "HTTP_ADDR": "127.0.0.1:0"})
	s.api.WaitArrived(t, "getUpdates", nil, 30*time.Second)
	host, _ := os.Hostname()
	by := fmt.Sprintf("serve start on host %s pid %d", host, os.Getpid())
	if n := pgtest.QueryInt(t, url, "SELECT count(*) FROM pgkeeper.job_runs WHERE job = 'backup' AND outcome = 'abandoned' AND abandoned_by = $1 AND abandoned_at IS NOT NULL AND ended_at IS NOT NULL", by); n != 1 {
		t.Fatalf("the killed run was not marked abandoned by %q:\n%s", by, s.logs.String())
	}

	s.api.SendText(1001, "/history")
	h := s.api.WaitCall(t, "sendMessage", func(c telegramtest.Call) bool { return strings.Contains(c.Params["text"], "Last ") }, 30*time.Second)
	line := lineWith(h.Params["text"], "backup · shell · abandoned")
	if !strings.HasPrefix(line, "🔴") || !strings.Contains(h.Params["text"], "found") {
		t.Errorf("/history does not show the abandoned run as a failure:\n%s", h.Params["text"])
	}
	s.api.SendText(1001, "/status")
	st := s.api.WaitCall(t, "sendMessage", func(c telegramtest.Call) bool { return strings.Contains(c.Params["text"], "Last runs") }, 30*time.Second)
	if !strings.HasPrefix(lineWith(st.Params["text"], "<code>backup</code>"), "🔴 <code>backup</code> abandoned") {
		t.Errorf("/status does not show the abandoned backup as a failure:\n%s", st.Params["text"])
	}

	addr := regexp.MustCompile(`serving /healthz, /readyz and /metrics" addr=(\S+)`).FindStringSubmatch(s.logs.String())
	if addr == nil {
		t.Fatalf("no metrics address in the logs:\n%s", s.logs.String())
	}
	const series = `pgkeeper_job_last_success{job="backup"} 0`
	for deadline := time.Now().Add(30 * time.Second); ; {
		_, page := metricstest.Get(t, "http://"+addr[1]+"/metrics")
		if strings.Contains(page, series) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s in /metrics:\n%s", series, page)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lineWith is the first line of text containing part ("" when none).
func lineWith(text, part string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, part) {
			return l
		}
	}
	return ""
}
