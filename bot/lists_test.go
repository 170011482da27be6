package bot_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/bot"
	"github.com/pgkeeper/pgkeeper/internal/confirm"
	"github.com/pgkeeper/pgkeeper/internal/testkit/bottest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/telegramtest"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// listJobs are realJobs with a restore test job and n real backups, a day
// apart (the newest an hour ago), kept by retention; newest first.
func listJobs(t *testing.T, n int) (bot.Jobs, string, []jobs.Manifest) {
	t.Helper()
	j, url := realJobs(t, pgtest.Seed{Companies: 1, Keys: 200, Days: 10})
	cat := j.Backups.(jobs.Catalog)
	j.RestoreTest = &jobs.RestoreTest{DB: j.Status.(*jobs.Status).DB, Config: jobs.RestoreConfig{DatabaseURL: url,
		BackupDir: cat.Dir, PGBinDir: pgtest.BinDir(t)}}
	b := j.Backup.(*jobs.Backup)
	b.Config.Retention = jobs.Retention{KeepDaily: 60, KeepMonthly: 4}
	base := time.Now().Add(-time.Hour - time.Duration(n)*24*time.Hour)
	for i := range n {
		started := time.Now()
		at := base.Add(time.Duration(i+1) * 24 * time.Hour)
		b.Now = func() time.Time { return at.Add(time.Since(started)) }
		if _, err := b.Run(context.Background(), jobs.BackupOptions{Trigger: "test"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	b.Now = nil
	l, err := cat.List(context.Background())
	if err != nil || len(l.Backups) != n {
		t.Fatalf("%d backups listed (%v), want %d", len(l.Backups), err, n)
	}
	return j, url, l.Backups
}

// pressed presses data under message id of chat as from and returns the
// answer it gets.
func pressed(t *testing.T, api *telegramtest.Server, from, chat int64, id int, data string) string {
	t.Helper()
	since := api.Count("answerCallbackQuery")
	api.Press(from, chat, id, data)
	return api.WaitCallAfter(t, "answerCallbackQuery", since, nil, 20*time.Second).Params["text"]
}

// keyboardChange waits until message id's keyboard is no longer old, and
// returns the new one.
func keyboardChange(t *testing.T, api *telegramtest.Server, chat int64, id int, old string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, m, _ := api.Message(chat, id); m != old {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("the keyboard of message %d never changed", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// restoreButtons are the [🧪 …] buttons of a keyboard.
func restoreButtons(markup string) []telegramtest.Button {
	var out []telegramtest.Button
	for _, b := range telegramtest.Buttons(markup) {
		if strings.HasPrefix(b.Text, "🧪 ") {
			out = append(out, b)
		}
	}
	return out
}

// restoreTested names the backups in dir whose manifests record a restore test.
func restoreTested(t *testing.T, j bot.Jobs) []string {
	t.Helper()
	l, err := j.Backups.(jobs.Catalog).List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range l.Backups {
		if len(m.RestoreTests) > 0 {
			out = append(out, m.Name)
		}
	}
	return out
}

func TestBackupsPagesAndRestoreButtons(t *testing.T) {
	j, url, made := listJobs(t, 10)
	// A dump without its manifest: broken, listed with why, no button.
	dir := j.Backups.(jobs.Catalog).Dir
	stem := made[0].Name[:strings.LastIndex(made[0].Name, "-")]
	if err := os.WriteFile(filepath.Join(dir, stem+"-20200101T000000Z.dump.zst"), []byte("not a dump"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := bottest.Start(t, j, func(s *bot.Settings) { s.Admins = append(s.Admins, otherAdmin) })
	const me, chat = bottest.Admin, bottest.Admin

	h.API.SendText(me, "/backups")
	list := h.Reply(t, chat, "Backups · 10 · page 1 of 2")
	id := list.MessageID
	first := list.Params["reply_markup"]
	if got := len(restoreButtons(first)); got != 8 {
		t.Errorf("page 1 has %d restore buttons, want 8: %s", got, first)
	}
	next, hasNext := telegramtest.FindButton(first, "▶")
	if _, hasPrev := telegramtest.FindButton(first, "◀"); !hasNext || hasPrev {
		t.Fatalf("page 1 of 2 wants ▶ and no ◀: %s", first)
	}
	if !strings.Contains(list.Params["text"], made[7].Name) || strings.Contains(list.Params["text"], made[8].Name) {
		t.Errorf("page 1 is not the 8 newest:\n%s", list.Params["text"])
	}

	// ▶ edits the message into page 2: the rest, the broken one, ◀ only.
	if got := pressed(t, h.API, me, chat, id, next.Data); got != "" {
		t.Errorf("▶ answered %q", got)
	}
	text, markup := h.Shown(t, chat, id, "page 2 of 2", 10*time.Second)
	for _, want := range []string{made[8].Name, made[9].Name, "Broken · 1", "20200101T000000Z", "has no manifest"} {
		if !strings.Contains(text, want) {
			t.Errorf("page 2 lacks %q:\n%s", want, text)
		}
	}
	if got := len(restoreButtons(markup)); got != 2 {
		t.Errorf("page 2 has %d restore buttons, want 2 (none for the broken one): %s", got, markup)
	}
	prev, hasPrev := telegramtest.FindButton(markup, "◀")
	if _, hasNext := telegramtest.FindButton(markup, "▶"); hasNext || !hasPrev {
		t.Fatalf("the last page wants ◀ and no ▶: %s", markup)
	}
	if n := h.API.SentContaining("Backups · 10"); n != 1 {
		t.Errorf("%d list messages sent, want 1 edited in place", n)
	}

	// Stale, forged, foreign: each answered, none changes the message.
	refusals := []struct {
		name, data string
		from, chat int64
		want       string
	}{
		{"the old ▶, spent by the redraw", next.Data, me, chat, "This list was drawn again since"},
		{"page 1's restore button, spent with it", restoreButtons(first)[0].Data, me, chat, "This list was drawn again since"},
		{"a forged token", "\fcf|forgedtoken|y", me, chat, "no longer valid"},
		{"another admin", prev.Data, otherAdmin, chat, "another admin's, or another chat's: send the command yourself"},
		{"the same admin in another chat", prev.Data, me, -100500, "send the command yourself"},
	}
	for _, r := range refusals {
		if got := pressed(t, h.API, r.from, r.chat, id, r.data); !strings.Contains(got, r.want) {
			t.Errorf("%s answered %q, want %q", r.name, got, r.want)
		}
		if now, m, _ := h.API.Message(chat, id); now != text || m != markup {
			t.Fatalf("%s changed the list:\n%s\n%s", r.name, now, m)
		}
	}

	// ◀ back to page 1; its third backup's button offers that backup's
	// restore test, the /restore_test confirmation, and the list stays.
	pressed(t, h.API, me, chat, id, prev.Data)
	_, markup = h.Shown(t, chat, id, "page 1 of 2", 10*time.Second)
	target := made[2]
	button := restoreButtons(markup)[2]
	if want := "🧪 " + target.Start.UTC().Format("01-02 15:04"); button.Text != want {
		t.Fatalf("third restore button %q, want %q", button.Text, want)
	}
	since := h.API.Count("sendMessage")
	pressed(t, h.API, me, chat, id, button.Data)
	preview := h.API.WaitCallAfter(t, "sendMessage", since, func(c telegramtest.Call) bool {
		return strings.Contains(c.Params["text"], "Nothing runs before the button")
	}, 30*time.Second)
	if !strings.Contains(preview.Params["text"], target.Name) {
		t.Fatalf("the preview is not of %s:\n%s", target.Name, preview.Params["text"])
	}
	redrawn := keyboardChange(t, h.API, chat, id, markup)
	if len(restoreButtons(redrawn)) != 8 {
		t.Errorf("the list was not drawn again with its buttons: %s", redrawn)
	}
	// The same restore button again: spent.
	if got := pressed(t, h.API, me, chat, id, button.Data); !strings.Contains(got, "This list was drawn again since") {
		t.Errorf("the spent restore button answered %q", got)
	}
	if tested := restoreTested(t, j); len(tested) != 0 {
		t.Fatalf("restore tests before the confirmation: %v", tested)
	}
	report := runPreviewed(t, h, me, chat, preview.MessageID)
	if !strings.Contains(report, target.Name) {
		t.Errorf("the report is not of %s:\n%s", target.Name, report)
	}
	if tested := restoreTested(t, j); len(tested) != 1 || tested[0] != target.Name {
		t.Errorf("restore-tested: %v, want exactly %s", tested, target.Name)
	}
	if n := pgtest.QueryInt(t, url, "SELECT count(*) FROM pg_database WHERE datname LIKE '%pgkeeper_restore%'"); n != 0 {
		t.Errorf("%d scratch databases left", n)
	}
}

func TestHistoryFiltersAndPages(t *testing.T) {
	j, url, _ := listJobs(t, 0)
	db := j.Status.(*jobs.Status).DB
	if err := db.Migrate(t.Context(), store.DefaultSchema); err != nil {
		t.Fatal(err)
	}
	hist := &jobs.History{DB: db}
	j.History = hist
	ctx := context.Background()
	// Real runs: two backups that work, one that cannot find pg_dump, a
	// restore test of a backup that is not there; then ten summaries.
	backup := jobs.RecordedBackup{Backup: j.Backup.(*jobs.Backup), History: hist}
	for range 2 {
		if _, err := backup.Run(ctx, jobs.BackupOptions{Trigger: "test"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	broken := *j.Backup.(*jobs.Backup)
	broken.Config.PGBinDir = t.TempDir()
	if _, err := (jobs.RecordedBackup{Backup: &broken, History: hist}).Run(ctx, jobs.BackupOptions{Trigger: "test"}, nil); err == nil {
		t.Fatal("a backup without pg_dump worked")
	}
	restore := jobs.RecordedRestore{RestoreTest: j.RestoreTest.(*jobs.RestoreTest), History: hist}
	if _, err := restore.Run(ctx, jobs.RestoreOptions{Backup: "no-such-backup", Trigger: "test"}, nil); err == nil {
		t.Fatal("a restore test of no backup worked")
	}
	for range 10 {
		_ = hist.Record(ctx, vocab.JobSummary, vocab.TriggerSchedule, func(context.Context) (any, vocab.Outcome, error) {
			return nil, "", nil
		})
	}
	runs := func() int64 { return pgtest.QueryInt(t, url, "SELECT count(*) FROM pgkeeper.job_runs") }
	if n := runs(); n != 14 {
		t.Fatalf("%d runs recorded, want 14", n)
	}
	var mu sync.Mutex
	clock := time.Now()
	j.Confirm = confirm.New(time.Minute, func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return clock
	})
	h := bottest.Start(t, j, nil)
	const me = bottest.Admin

	// Unfiltered: 14 runs on two pages, ◀ ▶ edit in place.
	h.API.SendText(me, "/history")
	list := h.Reply(t, me, "Runs 1–10 of 14 · page 1 of 2")
	next, ok := telegramtest.FindButton(list.Params["reply_markup"], "▶")
	if !ok || len(telegramtest.Buttons(list.Params["reply_markup"])) != 1 {
		t.Fatalf("page 1 wants ▶ alone: %s", list.Params["reply_markup"])
	}
	pressed(t, h.API, me, me, list.MessageID, next.Data)
	text, markup := h.Shown(t, me, list.MessageID, "Runs 11–14 of 14 · page 2 of 2", 10*time.Second)
	if _, ok := telegramtest.FindButton(markup, "◀"); !ok || len(telegramtest.Buttons(markup)) != 1 {
		t.Errorf("the last page wants ◀ alone: %s", markup)
	}
	if !strings.Contains(text, "backup · test · ok") {
		t.Errorf("page 2 lacks the oldest runs (the backups):\n%s", text)
	}
	// Past CONFIRM_TTL the buttons are stale: said so, taken off, the page stays.
	mu.Lock()
	clock = clock.Add(2 * time.Minute)
	mu.Unlock()
	prev, _ := telegramtest.FindButton(markup, "◀")
	if got := pressed(t, h.API, me, me, list.MessageID, prev.Data); got != "This list's buttons expired: send the command again." {
		t.Errorf("an expired ◀ answered %q", got)
	}
	if now := keyboardChange(t, h.API, me, list.MessageID, markup); now != "" {
		t.Errorf("the expired keyboard stayed: %s", now)
	}
	if now, _, _ := h.API.Message(me, list.MessageID); now != text {
		t.Errorf("an expired ◀ changed the page:\n%s", now)
	}

	tests := []struct {
		give    string
		want    []string
		notWant []string
	}{
		{"failed", []string{"Runs · failed · 1–2 of 2", "backup · test · failed", "restore_test · test · failed"},
			[]string{"· ok ·", "summary"}},
		{"backup", []string{"Runs · backup · 1–3 of 3", "backup · test · ok", "backup · test · failed"},
			[]string{"restore_test", "summary"}},
		{"backup failed", []string{"Runs · backup failed · 1–1 of 1", "backup · test · failed"},
			[]string{"· ok ·", "restore_test"}},
		{"cleanup", []string{"No run matches cleanup."}, []string{"· ok ·"}},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			since := h.API.Count("sendMessage")
			h.API.SendText(me, "/history "+tt.give)
			got := h.API.WaitCallAfter(t, "sendMessage", since, nil, 20*time.Second)
			for _, w := range tt.want {
				if !strings.Contains(got.Params["text"], w) {
					t.Errorf("lacks %q:\n%s", w, got.Params["text"])
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got.Params["text"], w) {
					t.Errorf("has %q:\n%s", w, got.Params["text"])
				}
			}
			if got.Params["reply_markup"] != "" {
				t.Errorf("one page wants no buttons: %s", got.Params["reply_markup"])
			}
		})
	}

	// A filter's pages keep it: 12 runs went well, the second page has two.
	h.API.SendText(me, "/history ok")
	oks := h.Reply(t, me, "Runs · ok · 1–10 of 12 · page 1 of 2")
	next, _ = telegramtest.FindButton(oks.Params["reply_markup"], "▶")
	pressed(t, h.API, me, me, oks.MessageID, next.Data)
	text, _ = h.Shown(t, me, oks.MessageID, "Runs · ok · 11–12 of 12 · page 2 of 2", 10*time.Second)
	if strings.Contains(text, "failed") || strings.Count(text, "backup · test · ok") != 2 {
		t.Errorf("page 2 of the runs that went well:\n%s", text)
	}

	// A filter it does not take: the words it does, and nothing else.
	since := h.API.Count("sendMessage")
	h.API.SendText(me, "/history nonsense")
	bad := h.Reply(t, me, `Unknown history filter "nonsense"`).Params["text"]
	for _, w := range []string{"backup, restore_test, cleanup, cleanup_undo, summary", "ok, warning, failed, skipped, running, abandoned",
		"/history backup failed"} {
		if !strings.Contains(bad, w) {
			t.Errorf("the answer lacks %q:\n%s", w, bad)
		}
	}
	h.API.SendText(me, "/help")
	h.API.WaitCallAfter(t, "sendMessage", since, func(c telegramtest.Call) bool {
		return strings.Contains(c.Params["text"], "/restore_test — ")
	}, 20*time.Second)
	if n := h.API.Count("sendMessage") - since; n != 2 || runs() != 14 {
		t.Errorf("a bad filter and /help sent %d messages and left %d runs; want the answer and the help, 14 runs", n, runs())
	}
}

func TestFleetListsStayOnTheirDatabase(t *testing.T) {
	alpha, _, alphaMade := listJobs(t, 9)
	beta, _, betaMade := listJobs(t, 2)
	for _, j := range []*bot.Jobs{&alpha, &beta} {
		db := j.Status.(*jobs.Status).DB
		if err := db.Migrate(t.Context(), store.DefaultSchema); err != nil {
			t.Fatal(err)
		}
		j.History = &jobs.History{DB: db}
	}
	h := bottest.StartFleet(t, []bot.Database{{Name: "alpha", Jobs: alpha}, {Name: "beta", Jobs: beta}},
		func(s *bot.Settings) { s.Admins = append(s.Admins, otherAdmin) })
	const me = bottest.Admin

	// alpha's pages stay alpha's.
	h.API.SendText(me, "/backups alpha")
	list := h.Reply(t, me, "Backups · 9 · page 1 of 2")
	if !strings.HasPrefix(list.Params["text"], "🗄 <b>alpha</b>\n") {
		t.Fatalf("alpha's list does not name it:\n%s", list.Params["text"])
	}
	next, _ := telegramtest.FindButton(list.Params["reply_markup"], "▶")
	if got := pressed(t, h.API, otherAdmin, me, list.MessageID, next.Data); !strings.Contains(got, "another admin's") {
		t.Errorf("another admin's ▶ answered %q", got)
	}
	pressed(t, h.API, me, me, list.MessageID, next.Data)
	text, _ := h.Shown(t, me, list.MessageID, "page 2 of 2", 10*time.Second)
	if !strings.HasPrefix(text, "🗄 <b>alpha</b>\n") || !strings.Contains(text, alphaMade[8].Name) {
		t.Errorf("alpha's page 2 is not alpha's:\n%s", text)
	}

	// beta's restore button tests beta's backup, named, and nothing of alpha's.
	h.API.SendText(me, "/backups beta")
	blist := h.Reply(t, me, "Backups · 2")
	buttons := restoreButtons(blist.Params["reply_markup"])
	if len(buttons) != 2 || len(telegramtest.Buttons(blist.Params["reply_markup"])) != 2 {
		t.Fatalf("beta's one page wants two restore buttons and no ◀ ▶: %s", blist.Params["reply_markup"])
	}
	since := h.API.Count("sendMessage")
	pressed(t, h.API, me, me, blist.MessageID, buttons[1].Data)
	preview := h.API.WaitCallAfter(t, "sendMessage", since, func(c telegramtest.Call) bool {
		return strings.Contains(c.Params["text"], "Nothing runs before the button")
	}, 30*time.Second)
	if !strings.HasPrefix(preview.Params["text"], "🗄 <b>beta</b>\n") || !strings.Contains(preview.Params["text"], betaMade[1].Name) {
		t.Fatalf("the preview is not of beta's %s:\n%s", betaMade[1].Name, preview.Params["text"])
	}
	report := runPreviewed(t, h, me, me, preview.MessageID)
	if !strings.HasPrefix(report, "🗄 <b>beta</b>\n") {
		t.Errorf("the report does not name beta:\n%s", report)
	}
	if a, b := restoreTested(t, alpha), restoreTested(t, beta); len(a) != 0 || len(b) != 1 || b[0] != betaMade[1].Name {
		t.Errorf("restore-tested: alpha %v, beta %v; want none and %s", a, b, betaMade[1].Name)
	}

	// /history with a filter and no name: a picker, then that database's runs.
	h.API.SendText(me, "/history failed")
	picker := h.Reply(t, me, "Which database for")
	var pickBeta telegramtest.Button
	for _, b := range telegramtest.Buttons(picker.Params["reply_markup"]) {
		if b.Text == "beta" {
			pickBeta = b
		}
	}
	since = h.API.Count("sendMessage")
	pressed(t, h.API, me, me, picker.MessageID, pickBeta.Data)
	hist := h.API.WaitCallAfter(t, "sendMessage", since, func(c telegramtest.Call) bool {
		return strings.HasPrefix(c.Params["text"], "🗄 <b>beta</b>\n")
	}, 20*time.Second)
	if !strings.Contains(hist.Params["text"], "No run matches failed.") {
		t.Errorf("not beta's failures:\n%s", hist.Params["text"])
	}
	h.API.SendText(me, "/history alpha nonsense")
	h.Reply(t, me, "/history alpha backup failed shows the failed backups")
}

// runPreviewed presses [Run restore test] under a restore test's preview and
// returns the report it ends with (it must pass).
func runPreviewed(t *testing.T, h *bottest.Harness, me, chat int64, preview int) string {
	t.Helper()
	since := h.API.Count("sendMessage")
	h.API.PressButton(t, me, chat, preview, "Run restore test")
	progress := h.API.WaitCallAfter(t, "sendMessage", since, func(c telegramtest.Call) bool {
		return strings.Contains(c.Params["text"], "Restore test starting")
	}, 20*time.Second)
	report, _ := h.Shown(t, chat, progress.MessageID, "Restore test passed", 90*time.Second)
	return report
}
