package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/bottest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/telegramtest"
	"github.com/pgkeeper/pgkeeper/jobs"
)

func TestRestoreTestEndToEnd(t *testing.T) {
	j, url := realJobs(t, pgtest.Seed{Companies: 2, Keys: 1000, Days: 40})
	if _, err := j.Backup.Run(context.Background(), jobs.BackupOptions{Trigger: "test"}, nil); err != nil {
		t.Fatal(err)
	}
	j.RestoreTest = &jobs.RestoreTest{DB: j.Status.(*jobs.Status).DB, Config: jobs.RestoreConfig{DatabaseURL: url, BackupDir: j.Backups.(jobs.Catalog).Dir, PGBinDir: pgtest.BinDir(t)}}
	h := bottest.Start(t, j, nil)

	// Cancel: nothing runs.
	h.API.SendText(bottest.Admin, "/restore_test")
	preview := h.Reply(t, bottest.Admin, "Nothing runs before the button")
	h.API.PressButton(t, bottest.Admin, bottest.Admin, preview.MessageID, "Cancel")
	h.Shown(t, bottest.Admin, preview.MessageID, "Cancelled: nothing was done", 10*time.Second)

	// A stranger's press is refused and runs nothing.
	h.API.SendText(bottest.Admin, "/restore_test")
	second := h.API.WaitCall(t, "sendMessage", func(c telegramtest.Call) bool {
		return strings.Contains(c.Params["text"], "Nothing runs before the button") && c.MessageID != preview.MessageID
	}, 10*time.Second)
	run := h.API.PressButton(t, bottest.Stranger, bottest.Admin, second.MessageID, "Run restore test")
	// A forged token does nothing.
	h.API.Press(bottest.Admin, bottest.Admin, second.MessageID, "\fcf|forgedtoken|y")
	// Confirm, twice: it runs once.
	h.API.Press(bottest.Admin, bottest.Admin, second.MessageID, run.Data)
	h.API.Press(bottest.Admin, bottest.Admin, second.MessageID, run.Data)
	progress := h.Reply(t, bottest.Admin, "Restore test starting")
	text, _ := h.Shown(t, bottest.Admin, progress.MessageID, "Restore test passed", 60*time.Second)
	if !strings.Contains(text, "RTO") || !strings.Contains(text, "dropped: true") {
		t.Errorf("report:\n%s", text)
	}
	answers := ""
	for _, c := range h.API.Calls("answerCallbackQuery") {
		answers += c.Params["text"] + "\n"
	}
	for _, want := range []string{"private", "no longer valid", "Already done"} {
		if !strings.Contains(answers, want) {
			t.Errorf("no %q among the button answers:\n%s", want, answers)
		}
	}
	if starts := h.API.SentContaining("Restore test starting"); starts != 1 {
		t.Errorf("the restore test started %d times, want once", starts)
	}
	if n := pgtest.QueryInt(t, url, "SELECT count(*) FROM pg_database WHERE datname LIKE '%pgkeeper_restore%'"); n != 0 {
		t.Errorf("%d scratch databases left", n)
	}
}
