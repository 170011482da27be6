package bot_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/bot"
	"github.com/pgkeeper/pgkeeper/internal/testkit/bottest"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// remoteFailing is a Backupper whose backup is good but did not reach spb.
type remoteFailing struct{}

func (remoteFailing) Run(context.Context, jobs.BackupOptions, func(jobs.BackupProgress)) (jobs.BackupReport, error) {
	return jobs.BackupReport{Manifest: jobs.Manifest{Name: "wa-20261130T030000Z", Database: "wa", Kind: jobs.KindDaily, Verified: true},
		Remotes: []jobs.RemoteOutcome{
			{Remote: "msk", Copy: &jobs.RemoteCopy{Remote: "msk", Verified: true, Size: 1000}},
			{Remote: "spb", Error: "no such bucket pgk-spb: create it or fix BACKUP_REMOTES"},
		}}, nil
}

// /backup in a chat: a good backup that a remote lacks answers with the
// report opened by the failure, and alerts as a failure: Sentry hears of
// it, naming the remote, and the alert chat gets the report.
func TestChatBackupRemoteFailureAlerts(t *testing.T) {
	const alertChat = 777
	var mu sync.Mutex
	var captured []string
	j := bot.Jobs{Backup: remoteFailing{}, Capture: func(component string, err error) {
		mu.Lock()
		defer mu.Unlock()
		if errors.Is(err, jobs.ErrRemoteFailed) {
			captured = append(captured, component+": "+err.Error())
		}
	}}
	h := bottest.Start(t, j, func(s *bot.Settings) { s.ChatID = alertChat })
	h.API.SendText(bottest.Admin, "/backup")
	first := h.Reply(t, bottest.Admin, "Backup starting")
	text, _ := h.Shown(t, bottest.Admin, first.MessageID, "Off-site copy FAILED", 10*time.Second)
	if !strings.HasPrefix(text, "🔴") || !strings.Contains(text, "spb ✗ no such bucket") || !strings.Contains(text, "msk ✓") {
		t.Errorf("the report:\n%s", text)
	}
	alert := h.Reply(t, alertChat, "Off-site copy FAILED · spb")
	if !strings.Contains(alert.Params["text"], "verified and kept here") {
		t.Errorf("alert chat got:\n%s", alert.Params["text"])
	}
	mu.Lock()
	defer mu.Unlock()
	if len(captured) != 1 || !strings.HasPrefix(captured[0], "backup remote: off-site copy failed on spb (no such bucket") {
		t.Errorf("captured %q", captured)
	}
}

// listing is a BackupLister of fixed backups.
type listing jobs.Listing

func (l listing) List(context.Context) (jobs.Listing, error) { return jobs.Listing(l), nil }

// /backups says, for each backup, where it lives: here, and on each
// configured remote, verified or not, or not copied yet.
func TestChatBackupsSaysWhereEachLives(t *testing.T) {
	now := time.Now()
	l := listing{Dir: t.TempDir(), Backups: []jobs.Manifest{
		{Name: "wa-20261130T030000Z", Database: "wa", Kind: jobs.KindDaily, Verified: true, Start: now.Add(-time.Hour),
			Remotes: []jobs.RemoteCopy{{Remote: "msk", Verified: true}, {Remote: "spb", Error: "access denied"}}},
		{Name: "wa-20261129T030000Z", Database: "wa", Kind: jobs.KindDaily, Verified: true, Start: now.Add(-25 * time.Hour)},
	}}
	h := bottest.Start(t, bot.Jobs{Backups: l, Remotes: []string{"msk", "spb"}}, nil)
	h.API.SendText(bottest.Admin, "/backups")
	text := h.Reply(t, bottest.Admin, "Backups · 2").Params["text"]
	for _, want := range []string{"local ✓ · msk ✓ · spb ✗ access denied", "local ✓ · msk – not copied yet · spb – not copied yet"} {
		if !strings.Contains(text, want) {
			t.Errorf("/backups lacks %q:\n%s", want, text)
		}
	}
}
