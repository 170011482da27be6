package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/pgtest"
)

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
	tools := pgtest.ToolsDir(t, map[string]string{"pg_restore": "if [ \"$1\" = --version ]; then exec \"" + real +
		"\" --version; fi\n\"" + real + "\" \"$@\"\ntouch " + marker + "\nsleep 60\n"})

	cmd := exec.Command(os.Args[0], "restore-test")
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PGKEEPER_TEST_AS_MAIN=1", "PATH=" + os.Getenv("PATH"),
		"DATABASE_URL=" + url, "PG_BIN_DIR=" + tools, "BACKUP_DIR=" + backups}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("pg_restore never finished restoring:\n%s\n%s", stdout.String(), stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("pgkeeper restore-test still running 30 s after SIGTERM")
	}
	if code := cmd.ProcessState.ExitCode(); code != exitFailed {
		t.Errorf("exit %d (%v), want %d\n%s\n%s", code, err, exitFailed, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "FAILED") || !strings.Contains(stdout.String()+stderr.String(), "context canceled") {
		t.Errorf("the report does not say it was stopped:\n%s\n%s", stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "dropped: true") {
		t.Errorf("the report does not say the scratch database was dropped:\n%s", stdout.String())
	}
	if n := scratchCount(t, url); n != 0 {
		t.Errorf("%d scratch databases left after SIGTERM", n)
	}
}
