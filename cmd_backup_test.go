package main

import (
	"bytes"
	"errors"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/redact"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// A good backup whose remote (or copy command) failed exits 1 with one
// line naming what failed; the error stays a jobs.ErrRemoteFailed for
// whoever branches on it. (The end-to-end run with an unreachable
// BACKUP_REMOTES belongs in main_test.go once the upload is wired.)
func TestBackupOffsiteFailureExits1(t *testing.T) {
	good := jobs.BackupReport{Manifest: jobs.Manifest{Name: "wa-20261130T030000Z", Verified: true}}
	withRemotes := func(r jobs.BackupReport, o ...jobs.RemoteOutcome) jobs.BackupReport { r.Remotes = o; return r }
	withCopy := func(r jobs.BackupReport, ok bool) jobs.BackupReport {
		r.Copy = &jobs.CopyOutcome{OK: ok, Detail: "exit status 4: no route"}
		return r
	}
	msk := jobs.RemoteOutcome{Remote: "msk", Copy: &jobs.RemoteCopy{Verified: true}}
	spb := jobs.RemoteOutcome{Remote: "spb", Error: "unreachable: dial tcp 10.0.0.9:443: connection refused"}
	tests := []struct {
		name          string
		give          jobs.BackupReport
		wantComponent string
		wantLine      string // "" wants exit 0
		wantRemote    bool
	}{
		{"no remote", good, "", "", false},
		{"all remotes well", withRemotes(good, msk), "", "", false},
		{"a remote failed", withRemotes(good, msk, spb), "backup remote",
			"pgkeeper backup: verified and kept here, but off-site copy failed on spb (unreachable: dial tcp 10.0.0.9:443: connection refused)\n", true},
		{"the reason names the remote once", withRemotes(good, jobs.RemoteOutcome{Remote: "spb", Error: "remote spb: put x: access denied"}),
			"backup remote", "pgkeeper backup: verified and kept here, but off-site copy failed on spb (put x: access denied)\n", true},
		{"the copy command failed", withCopy(good, false), "backup copy",
			"pgkeeper backup: verified and kept here, but BACKUP_COPY_COMMAND failed: exit status 4: no route\n", false},
		{"both failed", withCopy(withRemotes(good, spb), false), "backup remote",
			"pgkeeper backup: verified and kept here, but off-site copy failed on spb (unreachable: dial tcp 10.0.0.9:443: connection refused); " +
				"and BACKUP_COPY_COMMAND failed: exit status 4: no route\n", true},
		{"a failed backup is not this path", withRemotes(jobs.BackupReport{Error: "pg_dump: exit status 1"}, spb), "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			component, err := offsiteFailure(tt.give)
			if component != tt.wantComponent {
				t.Errorf("component %q, want %q", component, tt.wantComponent)
			}
			if errors.Is(err, jobs.ErrRemoteFailed) != tt.wantRemote {
				t.Errorf("errors.Is(%v, ErrRemoteFailed) = %v", err, !tt.wantRemote)
			}
			var stderr bytes.Buffer
			code := exit(&stderr, redact.New(), "backup", err)
			switch {
			case tt.wantLine == "" && (code != exitOK || stderr.Len() > 0):
				t.Errorf("exit %d, stderr %q; want 0 and nothing", code, stderr.String())
			case tt.wantLine != "" && (code != exitFailed || stderr.String() != tt.wantLine):
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr.String(), tt.wantLine)
			}
		})
	}
}
