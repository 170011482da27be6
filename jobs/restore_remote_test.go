package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/seal"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/s3test"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// A restore test of a remote copy streams it from the bucket, decrypts it
// when it is encrypted, and proves it like a local one: every table's rows,
// the fingerprints, the scratch database dropped. The proof goes into the
// local manifest when the backup is still here, and nowhere when it is not.
func TestRestoreTestFromRemote(t *testing.T) {
	url, dir, m := backedUp(t, pgtest.Seed{Companies: 2, Keys: 3000, Days: 60})
	srv := s3test.Start(t)
	keyFile, to := newIdentity(t, 0o600)
	tests := []struct {
		name         string
		encrypted    bool
		flagIdentity bool // --identity, rather than the remote's configured one
		dirGone      bool
	}{
		{"plain copy", false, false, false},
		{"encrypted copy, identity given", true, true, false},
		{"encrypted copy, the remote's identity", true, false, false},
		{"encrypted copy, BACKUP_DIR gone", true, true, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := remoteOn(srv, "msk", "case"+string(rune('a'+i)))
			var c jobs.RemoteCopy
			opts := jobs.RestoreOptions{From: "msk", Trigger: "test"}
			if !tt.encrypted {
				c = uploadCopy(t, spec, dir, m)
			} else {
				c = uploadCopy(t, spec, dir, m, to)
				if tt.flagIdentity {
					opts.Identity = keyFile
				} else {
					spec.Identity = keyFile
				}
			}
			if c.Encrypted != tt.encrypted {
				t.Fatalf("copy: %+v", c)
			}
			job := restoreJob(t, url, dir, pgtest.BinDir(t))
			if tt.dirGone {
				job.Config.BackupDir = filepath.Join(t.TempDir(), "gone")
			}
			job.Config.Remotes = []jobs.RemoteSpec{remoteOn(srv, "spb", "elsewhere"), spec}
			job.Config.Jobs = 2 // a stream allows one job only, whatever is configured
			before := len(proofs(t, dir, m))
			if err := job.CheckFrom(opts); err != nil {
				t.Fatalf("check: %v", err)
			}
			r, err := jobs.RecordedRestore{RestoreTest: job, History: historyOn(t)}.Run(context.Background(), opts, nil)
			if err != nil || !r.OK() {
				t.Fatalf("restore test from msk failed: %v\n%+v", err, r)
			}
			if r.From != "msk" || r.CiphertextOnly || r.Jobs != 1 || !r.Dropped || r.Backup.Name != m.Name {
				t.Errorf("report: %+v", r)
			}
			if r.Tables != 2 || r.Rows != m.TotalRows() || r.Fingerprinted != 1 || len(r.Differences) != 0 {
				t.Errorf("checked %d tables, %d rows (want %d), %d fingerprints", r.Tables, r.Rows, m.TotalRows(), r.Fingerprinted)
			}
			if left := scratchLeft(t, url); len(left) > 0 {
				t.Errorf("scratch databases left: %v", left)
			}
			after := proofs(t, dir, m)
			switch {
			case tt.dirGone && (r.Recorded || len(after) != before || len(r.Warnings) > 0):
				t.Errorf("BACKUP_DIR gone: recorded %v, proofs %d → %d, warnings %q", r.Recorded, before, len(after), r.Warnings)
			case !tt.dirGone && (!r.Recorded || len(after) != before+1 || after[len(after)-1].From != "msk"):
				t.Errorf("recorded %v, proofs %+v", r.Recorded, after)
			}
		})
	}
}

// An encrypted copy without an identity: the restore test reads the
// ciphertext whole and checks its size and sha256, restores nothing, and
// says so, with how to give an identity; the history has it as a warning.
// A recovery cannot go on without the key and makes nothing.
func TestRestoreFromEncryptedCopyWithoutIdentity(t *testing.T) {
	url, dir, m := backedUp(t, pgtest.Seed{Companies: 1, Keys: 500, Days: 30})
	srv := s3test.Start(t)
	_, to := newIdentity(t, 0o600)
	spec := remoteOn(srv, "msk", "enc")
	c := uploadCopy(t, spec, dir, m, to)
	job := restoreJob(t, url, dir, pgtest.BinDir(t))
	job.Config.Remotes = []jobs.RemoteSpec{spec}
	h := historyOn(t)
	before := len(proofs(t, dir, m))
	r, err := jobs.RecordedRestore{RestoreTest: job, History: h}.Run(context.Background(),
		jobs.RestoreOptions{From: "msk", Trigger: "test"}, nil)
	if err != nil || !r.OK() || !r.CiphertextOnly || r.Scratch != "" || r.Tables != 0 || r.RTO != 0 {
		t.Fatalf("want a ciphertext check: %v\n%+v", err, r)
	}
	said := strings.Join(r.Warnings, "\n")
	for _, want := range []string{"only the ciphertext was checked", c.Key, "Nothing was restored", "--identity FILE", "chmod 600", "BACKUP_REMOTE_MSK_IDENTITY"} {
		if !strings.Contains(said, want) {
			t.Errorf("warnings %q do not say %q", said, want)
		}
	}
	if r.Recorded || len(proofs(t, dir, m)) != before {
		t.Error("a ciphertext check was recorded as a restore proof")
	}
	runs, err := h.LastRuns(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	run := runs[vocab.JobRestoreTest]
	var fig struct {
		From           string `json:"from"`
		CiphertextOnly bool   `json:"ciphertext_only"`
	}
	if err := json.Unmarshal(run.Figures, &fig); err != nil || run.Outcome != vocab.OutcomeWarning || !fig.CiphertextOnly ||
		fig.From != "msk" {
		t.Errorf("history: %s %s (%v)", run.Outcome, run.Figures, err)
	}
	if left := scratchLeft(t, url); len(left) > 0 {
		t.Errorf("scratch databases made: %v", left)
	}

	into := dbNameOf(url) + "_nokey"
	r, err = job.Run(context.Background(), jobs.RestoreOptions{From: "msk", Into: into, Trigger: "test"}, nil)
	if !errors.Is(err, jobs.ErrNoIdentity) || r.FailedAt != "find backup" || !strings.Contains(r.Error, "--identity FILE") {
		t.Errorf("recovery without identity: %v\n%+v", err, r)
	}
	if dbExists(t, into) {
		t.Errorf("%s was made", into)
	}
}

// Bad options are refused before anything is made: an unknown remote (the
// error names the configured ones), an identity file others may read, and
// an identity that holds none of the copy's keys.
func TestRestoreFromRemoteRefuses(t *testing.T) {
	url, dir, m := backedUp(t, pgtest.Seed{Companies: 1, Keys: 500, Days: 30})
	srv := s3test.Start(t)
	good, to := newIdentity(t, 0o600)
	loose, _ := newIdentity(t, 0o644)
	wrong, _ := newIdentity(t, 0o600)
	spec := remoteOn(srv, "msk", "refuse")
	uploadCopy(t, spec, dir, m, to)
	tests := []struct {
		name      string
		opts      jobs.RestoreOptions
		checkErr  error  // CheckFrom's, nil when it lets the options through
		wantWords string // in the run's error
	}{
		{"unknown remote", jobs.RestoreOptions{From: "spb"}, jobs.ErrUnknownRemote, "the configured ones are msk, fra"},
		{"identity readable by others", jobs.RestoreOptions{From: "msk", Identity: loose}, seal.ErrIdentityMode, "chmod 600"},
		{"wrong identity", jobs.RestoreOptions{From: "msk", Identity: wrong}, nil, "holds none of the keys"},
		{"identity without a remote", jobs.RestoreOptions{Identity: good}, errors.New("x"), ""},
	}
	// A copy whose age header changed in the bucket is told from a wrong key.
	changed := remoteOn(srv, "fra", "header")
	c := uploadCopy(t, changed, dir, m, to)
	tamperAt(t, changed, c.Key, 30)
	tests = append(tests, struct {
		name      string
		opts      jobs.RestoreOptions
		checkErr  error
		wantWords string
	}{"age header changed", jobs.RestoreOptions{From: "fra", Identity: good}, nil, "changed since it was uploaded"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := restoreJob(t, url, dir, pgtest.BinDir(t))
			job.Config.Remotes = []jobs.RemoteSpec{spec, changed}
			err := job.CheckFrom(tt.opts)
			switch {
			case tt.checkErr == nil && err != nil:
				t.Fatalf("check: %v", err)
			case tt.checkErr != nil && err == nil:
				t.Fatalf("check let %+v through", tt.opts)
			case tt.checkErr != nil && tt.wantWords == "":
				return // refused up front; the command exits 2
			case tt.checkErr != nil && !errors.Is(err, tt.checkErr):
				t.Errorf("check: %v, want %v", err, tt.checkErr)
			}
			for _, into := range []string{"", dbNameOf(url) + "_refused"} {
				opts := tt.opts
				opts.Into, opts.Trigger = into, "test"
				r, err := job.Run(context.Background(), opts, nil)
				if err == nil || r.OK() || !strings.Contains(r.Error, tt.wantWords) {
					t.Errorf("into %q: want %q, got %v\n%+v", into, tt.wantWords, err, r)
				}
				if r.Scratch != "" || r.Recorded {
					t.Errorf("into %q: something was made or recorded: %+v", into, r)
				}
				if into != "" && dbExists(t, into) {
					t.Errorf("%s was made", into)
				}
			}
			if left := scratchLeft(t, url); len(left) > 0 {
				t.Errorf("scratch databases made: %v", left)
			}
		})
	}
	if _, err := os.Stat(good); err != nil {
		t.Fatal(err)
	}
}
