package service

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/s3test"
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

// With remotes, the scheduled restore test also proves each remote's newest
// copy: restored where the remote has an identity file, its ciphertext
// checked where it has none, each said in its own message.
func TestScheduledRestoreTestOfRemotes(t *testing.T) {
	srv := s3test.Start(t)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, srv.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "key.txt")
	if err := os.WriteFile(key, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, api := serveService(t, map[string]string{
		"NOTIFY_SUCCESS": "brief", "BACKUP_REMOTES": "msk=s3://" + s3test.Bucket + "/msk,spb=s3://" + s3test.Bucket + "/spb",
		"AWS_ENDPOINT_URL": srv.URL, "AWS_CA_BUNDLE": ca, "AWS_REGION": s3test.Region,
		"AWS_ACCESS_KEY_ID": s3test.AccessKeyID, "AWS_SECRET_ACCESS_KEY": s3test.SecretAccessKey,
		"BACKUP_AGE_RECIPIENTS": id.Recipient().String(), "BACKUP_REMOTE_MSK_IDENTITY": key,
	})
	ctx := t.Context()
	b, err := a.Jobs.Backup.Run(ctx, jobs.BackupOptions{Trigger: vocab.TriggerShell}, nil)
	if err != nil || b.RemoteFailed() {
		t.Fatalf("backup: %v %+v", err, b.Remotes)
	}
	if err := a.scheduledRestoreTest(ctx, 0); err != nil {
		t.Fatalf("scheduled restore test: %v", err)
	}
	got := waitDelivered(t, api, 3)
	want := []string{"Restore test passed", "msk", "spb"}
	for i, w := range want {
		if !strings.Contains(got[i], w) {
			t.Errorf("message %d:\n%s\nwant %q", i, got[i], w)
		}
	}
	if !strings.Contains(got[2], "ciphertext") || strings.Contains(got[1], "ciphertext") {
		t.Errorf("msk (with its identity) must be restored and spb (without) checked as ciphertext:\n%s\n---\n%s", got[1], got[2])
	}
	if n := scratchCount(t, a.Config.DatabaseURL); n != 0 {
		t.Errorf("%d scratch databases left", n)
	}
}
