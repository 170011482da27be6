package jobs_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// BACKUP_COPY_COMMAND gets each verified backup's files, never pgkeeper's
// secrets; its outcome is in the report and the manifest, and a failure is a
// warning on a backup that is still verified and kept.
func TestBackupCopyCommand(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 300, Days: 20})
	// The secret-carrying variables, as an operator's environment has them.
	t.Setenv("DATABASE_URL", url)
	t.Setenv("PGPASSWORD", pgtest.Password(t))
	t.Setenv("AWS_PROFILE", "offsite") // what an upload needs must pass
	tests := []struct {
		name    string
		command string // $DEST is the copy's destination
		wantOK  bool
		words   string
	}{
		{"copies", `cp "$PGKEEPER_BACKUP_FILE" "$PGKEEPER_BACKUP_MANIFEST" "$DEST"/ && env > "$DEST/env" && echo "uploaded $PGKEEPER_BACKUP_NAME"`, true, "uploaded "},
		{"fails", `echo "bucket pgkeeper-offsite does not exist" >&2; exit 3`, false, "exit status 3: bucket pgkeeper-offsite does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, dest := t.TempDir(), t.TempDir()
			job := backupJob(t, url, dir, pgtest.BinDir(t))
			job.Config.CopyCommand = `DEST='` + dest + `'; ` + tt.command
			job.Config.CopyHide = []string{"DATABASE_URL"}
			r, err := job.Run(context.Background(), jobs.BackupOptions{Trigger: "test"}, nil)
			if err != nil || !r.OK() {
				t.Fatalf("the backup failed: %v", err)
			}
			if r.Copy == nil || r.Copy.OK != tt.wantOK || !strings.Contains(r.Copy.Detail, tt.words) || (r.CopyError() != nil) == tt.wantOK {
				t.Fatalf("copy outcome %+v, want ok %v saying %q", r.Copy, tt.wantOK, tt.words)
			}
			warned := strings.Contains(findingsText(r.Warnings), "BACKUP_COPY_COMMAND failed")
			if warned == tt.wantOK {
				t.Errorf("warnings %+v", r.Warnings)
			}
			list, err := listedLike(dir, r.Manifest)
			if err != nil || len(list) != 1 || list[0].Copy == nil || list[0].Copy.OK != tt.wantOK {
				t.Fatalf("the manifest does not record the copy: %+v, %v", list, err)
			}
			if !tt.wantOK {
				return
			}
			data, err := os.ReadFile(filepath.Join(dest, r.Manifest.DumpFile()))
			if sum := sha256.Sum256(data); err != nil || hex.EncodeToString(sum[:]) != r.Manifest.SHA256 {
				t.Errorf("the copy is not the backup (%v)", err)
			}
			env, _ := os.ReadFile(filepath.Join(dest, "env"))
			for _, secret := range []string{"DATABASE_URL=", "PGPASSWORD=", pgtest.Password(t)} {
				if secret != "" && strings.Contains(string(env), secret) {
					t.Errorf("the copy command saw %q", secret)
				}
			}
			if !strings.Contains(string(env), "AWS_PROFILE=offsite") {
				t.Error("the copy command lost the environment an upload needs")
			}
		})
	}
}

func findingsText(fs []jobs.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.Text + "\n")
	}
	return b.String()
}

// Cancelling a backup while its copy command runs stops the command and what
// it started (an upload's child processes), and the backup stays verified.
func TestBackupCopyCancelled(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 100, Days: 5})
	dir, pidFile := t.TempDir(), filepath.Join(t.TempDir(), "pid")
	job := backupJob(t, url, dir, pgtest.BinDir(t))
	job.Config.CopyCommand = `sleep 60 & echo $! > '` + pidFile + `'; wait`
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		r   jobs.BackupReport
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := job.Run(ctx, jobs.BackupOptions{Trigger: "test"}, nil)
		done <- result{r, err}
	}()
	var pid int
	deadline := time.Now().Add(30 * time.Second)
	for pid == 0 {
		if data, err := os.ReadFile(pidFile); err == nil && len(data) > 1 {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
		}
		if time.Now().After(deadline) {
			t.Fatal("the copy command never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	var res result
	select {
	case res = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the backup did not return after its copy was cancelled")
	}
	if res.err != nil || !res.r.OK() || res.r.CopyError() == nil {
		t.Fatalf("backup %v, copy %+v: want a verified backup whose copy failed", res.err, res.r.Copy)
	}
	// The upload's child is gone too: no process, or a zombie waiting for
	// whoever adopted it to reap it.
	deadline = time.Now().Add(10 * time.Second)
	for running(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("the copy command's child %d still runs", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// running reports whether process pid exists and is not a zombie.
func running(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// "pid (comm) state ...": the state follows the last ')'.
	rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
	return !strings.HasPrefix(strings.TrimSpace(rest), "Z")
}
