package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// remoteHeard records what an Observer hears of jobs and remotes.
type remoteHeard struct {
	mu      sync.Mutex
	jobs    []string
	remotes []RemoteOutcome
}

func (o *remoteHeard) ObserveJob(job string, ok bool, _ time.Duration, _ time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.jobs = append(o.jobs, job+map[bool]string{true: " ok", false: " failed"}[ok])
}
func (o *remoteHeard) ObserveBackup(Manifest)                      {}
func (o *remoteHeard) ObserveRestore(time.Duration, time.Duration) {}
func (o *remoteHeard) ObserveStatus(StatusReport)                  {}
func (o *remoteHeard) ObserveRemotes(_ time.Time, outcomes []RemoteOutcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.remotes = append(o.remotes, outcomes...)
}

// A run whose backup is good but that a remote lacks is recorded as a
// warning whose error names the remote and why (as a failed copy command
// is a warning: the backup is verified and kept), its figures name the
// remote, and the metrics hear each remote's outcome.
func TestRecordedBackupRemoteFailure(t *testing.T) {
	db, err := store.Open(context.Background(), pgtest.NewDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	at := time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)
	good := BackupReport{Manifest: Manifest{Name: "wa-20261130T030000Z", Database: "wa", Kind: KindDaily, Verified: true,
		Start: at, End: at.Add(time.Minute), Duration: time.Minute, CompressedBytes: 1000}}
	msk := RemoteOutcome{Remote: "msk", Copy: &RemoteCopy{Remote: "msk", Verified: true}}
	spb := RemoteOutcome{Remote: "spb", Error: "no such bucket pgk-spb: create it or fix BACKUP_REMOTES"}
	with := func(r BackupReport, o ...RemoteOutcome) BackupReport { r.Remotes = o; return r }
	warned := good
	warned.Warnings = []Finding{{Level: LevelWarn, Text: "BACKUP_COPY_COMMAND failed: exit status 7"}}
	tests := []struct {
		name        string
		give        BackupReport
		err         error
		wantOutcome vocab.Outcome
		wantError   string // in the recorded error; "" wants none
		wantFigures string // in the recorded figures
		wantRemotes int    // outcomes the observer hears
	}{
		{"all remotes well", with(good, msk), nil, vocab.OutcomeOK, "", `"file":"wa-20261130T030000Z.dump.zst"`, 1},
		{"no remote", good, nil, vocab.OutcomeOK, "", `"kind":"daily"`, 0},
		{"a remote failed", with(good, msk, spb), nil, vocab.OutcomeWarning,
			"off-site copy failed on spb (no such bucket pgk-spb: create it or fix BACKUP_REMOTES)", `"remotes_failed":["spb"]`, 2},
		{"a failed copy command, as before", warned, nil, vocab.OutcomeWarning, "", `"warnings":1`, 0},
		{"a failed backup stays failed", with(BackupReport{FailedAt: "pg_dump", Error: "pg_dump: exit status 1"}, spb),
			errString("backup: pg_dump: exit status 1"), vocab.OutcomeFailed, "backup: pg_dump: exit status 1", `"failed_at":"pg_dump"`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A schema of its own per case: its history holds this run alone.
			schema := "keeper_" + strings.NewReplacer(" ", "_", ",", "").Replace(tt.name)
			if err := db.Migrate(t.Context(), schema); err != nil {
				t.Fatal(err)
			}
			heard := &remoteHeard{}
			h := &History{DB: db, Schema: schema, Observer: heard}
			b := RecordedBackup{History: h}
			b.finish(t.Context(), h.Start(t.Context(), vocab.JobBackup, vocab.TriggerShell),
				BackupOptions{Trigger: vocab.TriggerShell}, tt.give, tt.err)
			rep, err := h.Report(t.Context(), 5)
			if err != nil || len(rep.Runs) != 1 {
				t.Fatalf("history: %v, %+v", err, rep.Runs)
			}
			run := rep.Runs[0]
			if run.Outcome != tt.wantOutcome {
				t.Errorf("recorded %s, want %s", run.Outcome, tt.wantOutcome)
			}
			if (tt.wantError == "") != (run.Error == "") || !strings.Contains(run.Error, tt.wantError) {
				t.Errorf("recorded error %q, want %q", run.Error, tt.wantError)
			}
			var fig bytes.Buffer
			if err := json.Compact(&fig, run.Figures); err != nil || !strings.Contains(fig.String(), tt.wantFigures) {
				t.Errorf("figures %s lack %s (%v)", run.Figures, tt.wantFigures, err)
			}
			if len(heard.remotes) != tt.wantRemotes {
				t.Errorf("the observer heard %d remote outcomes, want %d", len(heard.remotes), tt.wantRemotes)
			}
		})
	}
}

type errString string

func (e errString) Error() string { return string(e) }
