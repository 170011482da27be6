package service

import (
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/s3test"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// A scheduled backup whose remote failed is a failure to report: the chat
// gets the full report, opened by the failure, even with NOTIFY_SUCCESS=off
// or brief, and Sentry gets an event naming the remote.
func TestScheduledBackupRemoteFailureAlerts(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 10, Days: 2})
	at := time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)
	report := func(remotes ...jobs.RemoteOutcome) jobs.BackupReport {
		return jobs.BackupReport{Remotes: remotes, Manifest: jobs.Manifest{Name: "wa-20261130T030000Z", Database: "wa",
			Kind: jobs.KindDaily, Verified: true, Start: at, End: at.Add(time.Minute), CompressedBytes: 1 << 20}}
	}
	msk := jobs.RemoteOutcome{Remote: "msk", Copy: &jobs.RemoteCopy{Remote: "msk", Verified: true, Size: 1 << 20}}
	spb := jobs.RemoteOutcome{Remote: "spb", Error: "access denied to bucket pgk: give the key s3:PutObject"}
	tests := []struct {
		name       string
		notify     string
		give       jobs.BackupReport
		wantSent   []string // one message, containing these; nil: none
		notSent    []string
		wantEvents int
	}{
		{"all remotes well, NOTIFY_SUCCESS=off", "off", report(msk), nil, nil, 0},
		{"all remotes well, brief", "brief", report(msk), []string{"✅ Backup verified · wa", "msk ✓"}, []string{"FAILED"}, 0},
		{"a remote failed, NOTIFY_SUCCESS=off", "off", report(msk, spb),
			[]string{"Off-site copy FAILED · spb", "kept here", "msk ✓ 1.05 MB", "spb ✗ access denied"}, nil, 1},
		{"a remote failed, brief", "brief", report(msk, spb), []string{"Off-site copy FAILED · spb", "Off-site copies"}, []string{"✅ Backup verified"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newService(t, url, map[string]string{"NOTIFY_SUCCESS": tt.notify})
			chat := &notices{}
			a.Notifier = chat
			hub, events := mockHub(t)
			a.Hub = hub
			if err := a.reportBackup(t.Context(), "", tt.give, nil); err != nil {
				t.Fatalf("a good backup reported as an error: %v", err)
			}
			switch {
			case tt.wantSent == nil && len(chat.html) != 0:
				t.Errorf("said %q", chat.html)
			case tt.wantSent != nil && len(chat.html) != 1:
				t.Fatalf("%d messages, want 1: %q", len(chat.html), chat.html)
			case tt.wantSent != nil:
				if !strings.HasPrefix(chat.html[0], "🔴") && strings.Contains(tt.wantSent[0], "FAILED") {
					t.Errorf("the failure does not open the message:\n%s", chat.html[0])
				}
				for _, w := range tt.wantSent {
					if !strings.Contains(chat.html[0], w) {
						t.Errorf("message lacks %q:\n%s", w, chat.html[0])
					}
				}
				for _, w := range tt.notSent {
					if strings.Contains(chat.html[0], w) {
						t.Errorf("message says %q:\n%s", w, chat.html[0])
					}
				}
			}
			var remoteEvents int
			for _, e := range events.Events() {
				if e.Tags["component"] != "backup remote" {
					continue
				}
				remoteEvents++
				if e.Tags["remote"] != "spb" || e.Tags["trigger"] != string(vocab.TriggerSchedule) {
					t.Errorf("event tags %v, want remote=spb, trigger=schedule", e.Tags)
				}
				text := ""
				for _, x := range e.Exception {
					text += x.Value
				}
				if !strings.Contains(text, "off-site copy failed on spb (access denied") {
					t.Errorf("event says %q", text)
				}
				// The reason comes from package remote, which masks the
				// keys; serve's BeforeSend masks every secret once more.
				if strings.Contains(text, s3test.SecretAccessKey) {
					t.Errorf("the Sentry event carries the secret key: %q", text)
				}
			}
			if remoteEvents != tt.wantEvents {
				t.Errorf("%d Sentry events for the remote, want %d", remoteEvents, tt.wantEvents)
			}
		})
	}
}
