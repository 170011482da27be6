package bot_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/bot"
	"github.com/pgkeeper/pgkeeper/internal/testkit/bottest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/telegramtest"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
)

// otherAdmin is a second admin: a picker bound to Admin refuses their press.
const otherAdmin int64 = 1002

// fleetHarness is a chat over three real databases: alpha with /cleanup,
// beta without a keys table's cleanup, gamma whose pool is closed (it
// cannot be reached: critical).
type fleetHarness struct {
	*bottest.Harness
	dirs map[string]string
	urls map[string]string
}

func startFleet(t *testing.T) *fleetHarness {
	t.Helper()
	h := &fleetHarness{dirs: map[string]string{}, urls: map[string]string{}}
	var dbs []bot.Database
	for _, name := range []string{"alpha", "beta", "gamma"} {
		j, url := realJobs(t, pgtest.Seed{Companies: 1, Keys: 200, Days: 60})
		h.dirs[name], h.urls[name] = j.Backups.(jobs.Catalog).Dir, url
		db := j.Status.(*jobs.Status).DB
		switch name {
		case "alpha":
			j.Cleanup = &jobs.Cleanup{DB: db, Config: jobs.DefaultCleanupConfig(filepath.Join(h.dirs[name], "undo"))}
		case "gamma":
			db.Close()
		}
		if name != "gamma" {
			if err := db.Migrate(t.Context(), store.DefaultSchema); err != nil {
				t.Fatal(err)
			}
			hist := &jobs.History{DB: db}
			j.History = hist
			j.Trends = func(ctx context.Context) (jobs.TrendsReport, error) { return hist.Trends(ctx, time.UTC) }
		}
		dbs = append(dbs, bot.Database{Name: name, Jobs: j})
	}
	h.Harness = bottest.StartFleet(t, dbs, func(s *bot.Settings) { s.Admins = append(s.Admins, otherAdmin) })
	return h
}

// dumps counts the backups in database name's directory.
func (h *fleetHarness) dumps(t *testing.T, name string) int {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(h.dirs[name], "*.dump.zst"))
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}

// ask sends text as the admin and waits for the next reply containing want.
func (h *fleetHarness) ask(t *testing.T, text, want string) telegramtest.Call {
	t.Helper()
	since := h.API.Count("sendMessage")
	h.API.SendText(bottest.Admin, text)
	return h.API.WaitCallAfter(t, "sendMessage", since, func(c telegramtest.Call) bool {
		return strings.Contains(c.Params["text"], want)
	}, 30*time.Second)
}

// answer presses data under message id as from and returns the answer.
func (h *fleetHarness) answer(t *testing.T, from int64, id int, data string) string {
	t.Helper()
	since := h.API.Count("answerCallbackQuery")
	h.API.Press(from, bottest.Admin, id, data)
	return h.API.WaitCallAfter(t, "answerCallbackQuery", since, func(telegramtest.Call) bool { return true },
		20*time.Second).Params["text"]
}

func TestFleetChat(t *testing.T) {
	h := startFleet(t)

	// /backup NAME backs up that database only, its report naming it.
	first := h.ask(t, "/backup alpha", "Backup starting")
	text, _ := h.Shown(t, bottest.Admin, first.MessageID, "Backup verified", 60*time.Second)
	if !strings.HasPrefix(text, "🗄 <b>alpha</b>\n") || !strings.HasPrefix(first.Params["text"], "🗄 <b>alpha</b>") {
		t.Errorf("the backup report does not name alpha:\n%s", text)
	}
	if a, b := h.dumps(t, "alpha"), h.dumps(t, "beta"); a != 1 || b != 0 {
		t.Fatalf("after /backup alpha: alpha has %d backups, beta %d; want 1 and 0", a, b)
	}

	// /status: one line per database, worst first; /status NAME: one in full.
	over := h.ask(t, "/status", "3 databases").Params["text"]
	at := func(name string) int { return strings.Index(over, "<code>"+name+"</code>") }
	if at("gamma") < 0 || at("alpha") < 0 || at("beta") < 0 || at("gamma") > at("alpha") || at("gamma") > at("beta") {
		t.Errorf("overview not worst first (gamma is unreachable):\n%s", over)
	}
	if !strings.Contains(over, "newest backup") || !strings.Contains(over, "/status NAME") {
		t.Errorf("overview lacks the newest backup's age or the hint:\n%s", over)
	}
	full := h.ask(t, "/status beta", "pgkeeper status").Params["text"]
	if !strings.HasPrefix(full, "🗄 <b>beta</b>\n") || !strings.Contains(full, "whatsapp_keys") {
		t.Errorf("/status beta is not beta's full report:\n%s", full)
	}

	// Unknown name: the names, nothing run.
	unknown := h.ask(t, "/backups zeta", "No database is called").Params["text"]
	if !strings.Contains(unknown, "alpha, beta, gamma") {
		t.Errorf("unknown name answered without the names: %s", unknown)
	}
	if got := h.ask(t, "/backup zeta", "No database is called").Params["text"]; !strings.Contains(got, "alpha, beta, gamma (or all)") {
		t.Errorf("unknown name for /backup answered: %s", got)
	}
	if h.dumps(t, "alpha") != 1 || h.dumps(t, "beta") != 0 {
		t.Fatal("an unknown name made a backup")
	}
	// /cleanup on a database without cleanup: a clear answer.
	h.ask(t, "/cleanup beta", "/cleanup is not set up for beta (it has no keys table). It is for: alpha.")

	// /backup alone: a picker; a stranger, another admin and a forged
	// button change nothing; the asker's pick backs that database up only.
	picker := h.ask(t, "/backup", "Which database for")
	buttons := telegramtest.Buttons(picker.Params["reply_markup"])
	var names []string
	var beta telegramtest.Button
	for _, b := range buttons {
		names = append(names, b.Text)
		if b.Text == "beta" {
			beta = b
		}
	}
	if strings.Join(names, ",") != "alpha,beta,gamma,all" {
		t.Fatalf("picker buttons %v, want alpha, beta, gamma, all", names)
	}
	if got := h.answer(t, bottest.Stranger, picker.MessageID, beta.Data); !strings.Contains(got, "private") {
		t.Errorf("a stranger's press answered %q", got)
	}
	if got := h.answer(t, otherAdmin, picker.MessageID, beta.Data); got != "This button is no longer valid." {
		t.Errorf("another admin's press answered %q", got)
	}
	if got := h.answer(t, bottest.Admin, picker.MessageID, "\f"+handlersConfirmUnique+"|gamma|y"); got != "This button is no longer valid." {
		t.Errorf("a forged button naming gamma answered %q", got)
	}
	if a, b := h.dumps(t, "alpha"), h.dumps(t, "beta"); a != 1 || b != 0 {
		t.Fatalf("refused presses made backups: alpha %d, beta %d", a, b)
	}
	since := h.API.Count("sendMessage")
	if got := h.answer(t, bottest.Admin, picker.MessageID, beta.Data); got != "OK" {
		t.Errorf("the asker's pick answered %q", got)
	}
	started := h.API.WaitCallAfter(t, "sendMessage", since, func(c telegramtest.Call) bool {
		return strings.Contains(c.Params["text"], "Backup starting")
	}, 20*time.Second)
	text, _ = h.Shown(t, bottest.Admin, started.MessageID, "Backup verified", 60*time.Second)
	if !strings.HasPrefix(text, "🗄 <b>beta</b>\n") {
		t.Errorf("the picked backup's report does not name beta:\n%s", text)
	}
	if a, b, g := h.dumps(t, "alpha"), h.dumps(t, "beta"), h.dumps(t, "gamma"); a != 1 || b != 1 || g != 0 {
		t.Fatalf("after picking beta: alpha %d, beta %d, gamma %d backups; want 1, 1, 0", a, b, g)
	}
	// The picker is spent: its other buttons, and the same one again, do nothing.
	for _, b := range buttons {
		if got := h.answer(t, bottest.Admin, picker.MessageID, b.Data); !strings.Contains(got, "Already done") {
			t.Errorf("spent picker's %s answered %q", b.Text, got)
		}
	}
	if a, b := h.dumps(t, "alpha"), h.dumps(t, "beta"); a != 1 || b != 1 {
		t.Fatalf("a spent picker made backups: alpha %d, beta %d", a, b)
	}
}

// handlersConfirmUnique is the confirmation buttons' unique name, as a
// forger would read it off any real button.
const handlersConfirmUnique = "cf"

func TestFleetPickThenConfirm(t *testing.T) {
	h := startFleet(t)
	const keys = "SELECT count(*) FROM whatsapp_keys"
	alpha, beta := pgtest.QueryInt(t, h.urls["alpha"], keys), pgtest.QueryInt(t, h.urls["beta"], keys)

	// /cleanup alone: only the databases that have it are offered.
	picker := h.ask(t, "/cleanup", "Which database for")
	buttons := telegramtest.Buttons(picker.Params["reply_markup"])
	if len(buttons) != 1 || buttons[0].Text != "alpha" {
		t.Fatalf("cleanup picker offers %+v, want alpha alone", buttons)
	}
	since := h.API.Count("sendMessage")
	h.answer(t, bottest.Admin, picker.MessageID, buttons[0].Data)
	preview := h.API.WaitCallAfter(t, "sendMessage", since, func(c telegramtest.Call) bool {
		return strings.Contains(c.Params["text"], "Nothing is deleted before the button")
	}, 30*time.Second)
	if !strings.HasPrefix(preview.Params["text"], "🗄 <b>alpha</b>\n") {
		t.Errorf("the preview does not name alpha:\n%s", preview.Params["text"])
	}
	del, ok := telegramtest.FindButton(preview.Params["reply_markup"], "Cancel")
	if !ok {
		t.Fatalf("no Cancel under the preview: %s", preview.Params["reply_markup"])
	}
	for _, b := range telegramtest.Buttons(preview.Params["reply_markup"]) {
		if strings.HasPrefix(b.Text, "Delete ") {
			del = b
		}
	}
	since = h.API.Count("sendMessage")
	h.answer(t, bottest.Admin, preview.MessageID, del.Data)
	run := h.API.WaitCallAfter(t, "sendMessage", since, func(c telegramtest.Call) bool {
		return strings.Contains(c.Params["text"], "Cleanup starting")
	}, 20*time.Second)
	report, _ := h.Shown(t, bottest.Admin, run.MessageID, "Cleanup deleted", 60*time.Second)
	if !strings.HasPrefix(report, "🗄 <b>alpha</b>\n") {
		t.Errorf("the cleanup report does not name alpha:\n%s", report)
	}
	if a, b := pgtest.QueryInt(t, h.urls["alpha"], keys), pgtest.QueryInt(t, h.urls["beta"], keys); a >= alpha || b != beta {
		t.Errorf("keys: alpha %d → %d, beta %d → %d; want alpha fewer, beta untouched", alpha, a, beta, b)
	}

	// A scheduled cleanup's offer names its database; one without cleanup
	// cannot be offered.
	if err := h.Bot.OfferCleanupFor(context.Background(), "beta", "held back", 5); err == nil {
		t.Error("an offer of cleanup for beta, which has none, went out")
	}
	since = h.API.Count("sendMessage")
	if err := h.Bot.OfferCleanupFor(context.Background(), "alpha", "held back", 5); err != nil {
		t.Fatal(err)
	}
	offer := h.API.WaitCallAfter(t, "sendMessage", since, func(c telegramtest.Call) bool {
		return strings.Contains(c.Params["text"], "held back")
	}, 10*time.Second)
	if _, ok := telegramtest.FindButton(offer.Params["reply_markup"], "Delete 5 keys"); !ok || !strings.HasPrefix(offer.Params["text"], "🗄 <b>alpha</b>\n") {
		t.Errorf("the offer: %s %s", offer.Params["text"], offer.Params["reply_markup"])
	}

	// /backup all: each database in turn, one report each, named.
	since = h.API.Count("sendMessage")
	h.API.SendText(bottest.Admin, "/backup all")
	for _, want := range []string{"🗄 <b>alpha</b>", "🗄 <b>beta</b>", "🗄 <b>gamma</b>"} {
		h.API.WaitCallAfter(t, "sendMessage", since, func(c telegramtest.Call) bool {
			return strings.HasPrefix(c.Params["text"], want) && strings.Contains(c.Params["text"], "Backup starting")
		}, 60*time.Second)
	}
	deadline := time.Now().Add(60 * time.Second)
	for h.dumps(t, "beta") < 1 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if a, b, g := h.dumps(t, "alpha"), h.dumps(t, "beta"), h.dumps(t, "gamma"); a != 1 || b != 1 || g != 0 {
		t.Errorf("after /backup all: alpha %d, beta %d, gamma %d (unreachable); want 1, 1, 0", a, b, g)
	}

	// /history alone: a picker of the databases that have it.
	picker = h.ask(t, "/history", "Which database for")
	buttons = telegramtest.Buttons(picker.Params["reply_markup"])
	if len(buttons) != 2 || buttons[0].Text != "alpha" || buttons[1].Text != "beta" {
		t.Fatalf("history picker offers %+v, want alpha and beta", buttons)
	}
	since = h.API.Count("sendMessage")
	h.answer(t, bottest.Admin, picker.MessageID, buttons[1].Data)
	hist := h.API.WaitCallAfter(t, "sendMessage", since, func(c telegramtest.Call) bool {
		return strings.HasPrefix(c.Params["text"], "🗄 <b>beta</b>\n")
	}, 20*time.Second)
	if !strings.Contains(hist.Params["text"], "Last 0 runs") {
		t.Errorf("not beta's history:\n%s", hist.Params["text"])
	}
	h.ask(t, "/history gamma", "/history is not set up for gamma. It is for: alpha, beta.")

	// /trends NAME: both charts (or their figures, as text) headed with it.
	since, photos := h.API.Count("sendMessage"), h.API.Count("sendPhoto")
	h.API.SendText(bottest.Admin, "/trends alpha")
	var charts []telegramtest.Call
	for deadline := time.Now().Add(30 * time.Second); len(charts) < 2; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("/trends alpha answered %d of its 2 charts", len(charts))
		}
		charts = h.API.Calls("sendPhoto")[photos:]
		for _, c := range h.API.Calls("sendMessage")[since:] {
			if strings.Contains(c.Params["text"], "last 30 days") {
				charts = append(charts, c)
			}
		}
	}
	for _, c := range charts {
		if !strings.HasPrefix(c.Params["caption"]+c.Params["text"], "🗄 <b>alpha</b>\n") {
			t.Errorf("a /trends alpha chart not headed with alpha:\n%s%s", c.Params["caption"], c.Params["text"])
		}
	}
}
