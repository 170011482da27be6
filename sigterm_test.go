package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
)

// mainProcess is pgkeeper as a process of its own (this test binary run
// again as main), so a test can signal it.
type mainProcess struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
}

func startMain(t *testing.T, env map[string]string, args ...string) *mainProcess {
	t.Helper()
	p := &mainProcess{cmd: exec.Command(os.Args[0], args...)}
	p.cmd.Dir = t.TempDir()
	p.cmd.Env = []string{"PGKEEPER_TEST_AS_MAIN=1", "PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitUntil polls ready until it holds, or kills the process and fails.
func (p *mainProcess) waitUntil(t *testing.T, what string, ready func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !ready() {
		if time.Now().After(deadline) {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
			t.Fatalf("%s never happened:\n%s\n%s", what, p.stdout.String(), p.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// terminate sends SIGTERM and returns the exit code; the process must be
// gone within 30 s.
func (p *mainProcess) terminate(t *testing.T) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	return p.exitCode(t)
}

// exitCode waits for the process signalled to stop: gone within 30 s.
func (p *mainProcess) exitCode(t *testing.T) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		t.Fatalf("%v still running 30 s after SIGTERM", p.cmd.Args[1:])
	}
	return p.cmd.ProcessState.ExitCode()
}

// SIGTERM in the middle of `pgkeeper restore-test` (pg_restore still
// running) stops it promptly, exits 1 saying why, and leaves no scratch
// database behind.
func TestRestoreTestSIGTERM(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 2000, Days: 10})
	backups := t.TempDir()
	env := map[string]string{"DATABASE_URL": url, "PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": backups}
	if code, _, stderr := runCLI(t, env, "backup"); code != 0 {
		t.Fatalf("backup: exit %d: %s", code, stderr)
	}

	// pg_restore that restores, says so, then hangs: the signal lands while
	// it still runs.
	marker := filepath.Join(t.TempDir(), "restored")
	real := filepath.Join(pgtest.BinDir(t), "pg_restore")
	env["PG_BIN_DIR"] = pgtest.ToolsDir(t, map[string]string{"pg_restore": "if [ \"$1\" = --version ]; then exec \"" + real +
		"\" --version; fi\n\"" + real + "\" \"$@\"\ntouch " + marker + "\nsleep 60\n"})

	p := startMain(t, env, "restore-test")
	p.waitUntil(t, "pg_restore finishing its restore", func() bool { _, err := os.Stat(marker); return err == nil })
	if code := p.terminate(t); code != exitFailed {
		t.Errorf("exit %d, want %d\n%s\n%s", code, exitFailed, p.stdout.String(), p.stderr.String())
	}
	out := p.stdout.String()
	if !strings.Contains(out, "FAILED") || !strings.Contains(out+p.stderr.String(), "context canceled") {
		t.Errorf("the report does not say it was stopped:\n%s\n%s", out, p.stderr.String())
	}
	if !strings.Contains(out, "dropped: true") {
		t.Errorf("the report does not say the scratch database was dropped:\n%s", out)
	}
	if n := scratchCount(t, url); n != 0 {
		t.Errorf("%d scratch databases left after SIGTERM", n)
	}
}

// SIGTERM in the middle of `pgkeeper cleanup --yes` stops it between
// batches: exit 1, a report whose count is exactly what left the table, and
// an undo file that puts exactly those rows back.
func TestCleanupSIGTERM(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 2, Keys: 20000, Days: 60})
	env := map[string]string{"DATABASE_URL": url, "PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": t.TempDir()}
	count := func() int64 { return pgtest.QueryInt(t, url, "SELECT count(*) FROM whatsapp_keys") }
	rows := count()

	p := startMain(t, env, "cleanup", "--yes", "--batch-size", "5")
	p.waitUntil(t, "a first batch", func() bool { return count() < rows })
	if code := p.terminate(t); code != exitFailed {
		t.Errorf("exit %d, want %d\n%s\n%s", code, exitFailed, p.stdout.String(), p.stderr.String())
	}
	m := regexp.MustCompile(`Cleanup stopped: ([\d,]+) keys deleted`).FindStringSubmatch(p.stdout.String())
	if m == nil || !strings.Contains(p.stderr.String(), "run it again to finish") || !strings.Contains(p.stderr.String(), "🧹") {
		t.Fatalf("the report does not say it stopped:\n%s\n%s", p.stdout.String(), p.stderr.String())
	}
	deleted, _ := strconv.ParseInt(strings.ReplaceAll(m[1], ",", ""), 10, 64)
	left := count()
	if rows-left != deleted {
		t.Errorf("the report says %d deleted, the table lost %d", deleted, rows-left)
	}
	if still := pgtest.QueryInt(t, url, "SELECT count(*) FROM whatsapp_keys k WHERE "+pgtest.Deletable,
		time.Now().AddDate(0, 0, -30), time.Now()); still == 0 {
		t.Errorf("the cleanup finished (%d deleted) before the signal: it proves nothing", deleted)
	}
	if code, out, errOut := runCLI(t, env, "cleanup", "--undo"); code != exitOK || count() != rows {
		t.Errorf("undo: exit %d, %d rows, want %d\n%s\n%s", code, count(), rows, out, errOut)
	}
}
