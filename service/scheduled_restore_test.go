package service

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// scratchCount counts the scratch databases of the database at url.
func scratchCount(t *testing.T, url string) int64 {
	t.Helper()
	name := url[strings.LastIndex(url, "/")+1:]
	name, _, _ = strings.Cut(name, "?")
	return pgtest.QueryInt(t, pgtest.AdminURL(t), "SELECT count(*) FROM pg_database WHERE starts_with(datname, $1)", store.ScratchPrefix(name))
}

// The scheduled restore test proves the newest backup without a button and
// tells the chat; a damaged backup is an alert, and either way the history
// records it and no scratch database is left.
func TestScheduledRestoreTest(t *testing.T) {
	tests := []struct {
		name     string
		damage   bool
		wantErr  bool
		wantChat string
		outcome  string
	}{
		{"a good backup passes", false, false, "Restore test passed", "ok"},
		{"a damaged backup alerts", true, true, "Restore test FAILED", "failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, api := serveService(t, map[string]string{"NOTIFY_SUCCESS": "brief"})
			ctx := t.Context()
			b, err := a.Jobs.Backup.Run(ctx, jobs.BackupOptions{Trigger: vocab.TriggerShell}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.damage {
				path := filepath.Join(a.Config.BackupDir, b.Manifest.DumpFile())
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				data[len(data)/2] ^= 0xff
				if err := os.WriteFile(path, data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err = a.scheduledRestoreTest(ctx, 0)
			if (err != nil) != tt.wantErr {
				t.Fatalf("scheduled restore test: err %v, want error %v", err, tt.wantErr)
			}
			got := waitDelivered(t, api, 1)
			if !strings.Contains(got[0], tt.wantChat) || !strings.Contains(got[0], b.Manifest.Name) {
				t.Errorf("the chat was told:\n%s\nwant %q about %s", got[0], tt.wantChat, b.Manifest.Name)
			}
			runs, _ := a.History.Report(ctx, 10)
			var found bool
			for _, r := range runs.Runs {
				if r.Job == "restore_test" {
					found = true
					if r.Trigger != vocab.TriggerSchedule || string(r.Outcome) != tt.outcome {
						t.Errorf("history: %+v, want trigger schedule, outcome %s", r, tt.outcome)
					}
				}
			}
			if !found {
				t.Errorf("no restore_test run in the history: %+v", runs.Runs)
			}
			if n := scratchCount(t, a.Config.DatabaseURL); n != 0 {
				t.Errorf("%d scratch databases left", n)
			}
		})
	}
}
