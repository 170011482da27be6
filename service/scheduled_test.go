package service

import (
	"bytes"
	"image/png"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/internal/testkit/telegramtest"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// delivered is the text (or caption) of every message the bot sent to the
// alert chat, in order.
func delivered(api *telegramtest.Server) []string {
	var out []string
	for _, c := range api.AllCalls() {
		if (c.Method == "sendMessage" || c.Method == "sendPhoto") && c.Status == 200 && c.Params["chat_id"] == alertChat {
			out = append(out, c.Params["text"]+c.Params["caption"])
		}
	}
	return out
}

func waitDelivered(t *testing.T, api *telegramtest.Server, n int) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := delivered(api)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages delivered, want %d: %q", len(got), n, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A scheduled backup that fails (no pg_dump) while Telegram answers 502: the
// job does not wait, Sentry hears of it, the history records it, and once
// Telegram is back the alert and then the daily summary and its charts
// arrive, in order, once each.
func TestScheduledFailureAlertsChatAndSentryThroughAnOutage(t *testing.T) {
	a, api := serveService(t, map[string]string{"PG_BIN_DIR": t.TempDir()})
	hub, events := mockHub(t)
	a.Hub = hub
	// Down until the test says otherwise, however slow the machine.
	api.FailFor(time.Hour, 502, "<html><body><h1>502 Bad Gateway</h1></body></html>")
	ctx := t.Context()

	if err := a.scheduledBackup("")(ctx, 0); err == nil {
		t.Fatal("a backup without pg_dump succeeded")
	}
	// The summary's sizes come from its status report; backups have none yet.
	if err := a.scheduledSummary(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if n := len(delivered(api)); n != 0 {
		t.Fatalf("%d messages got through a Bot API answering 502", n)
	}
	api.WaitCall(t, "sendMessage", func(c telegramtest.Call) bool { return c.Status == 502 }, 10*time.Second)
	api.FailFor(0, 0, "") // Telegram is back

	got := waitDelivered(t, api, 4)
	time.Sleep(200 * time.Millisecond) // room for a wrong extra delivery to show
	got = delivered(api)
	if len(got) != 4 || !strings.Contains(got[0], "Backup FAILED") || !strings.Contains(got[1], "summary") ||
		!strings.Contains(got[2], "keys table size") || !strings.Contains(got[3], "No verified backup yet") {
		t.Fatalf("delivered, in order:\n%s", strings.Join(got, "\n-----\n"))
	}
	photo := api.Calls("sendPhoto")
	var ok []telegramtest.Call
	for _, c := range photo {
		if c.Status == 200 {
			ok = append(ok, c)
		}
	}
	if len(ok) != 1 {
		t.Fatalf("%d photos delivered, want the sizes chart alone (no backup to draw)", len(ok))
	}
	data := []byte(ok[0].Params["photo"]) // an upload without a file name arrives as a form value
	if f, has := ok[0].Files["photo"]; has {
		data = f.Data
	}
	if _, err := png.Decode(bytes.NewReader(data)); err != nil {
		t.Fatalf("the summary's chart is not a PNG: %v", err)
	}

	var sentry []string
	for _, e := range events.Events() {
		if e.Tags["trigger"] == string(vocab.TriggerSchedule) && e.Tags["component"] == "backup" {
			// The chain's outermost error comes last.
			sentry = append(sentry, e.Exception[len(e.Exception)-1].Value)
		}
	}
	if len(sentry) != 1 || !strings.Contains(sentry[0], "pg_dump") {
		t.Fatalf("Sentry events for the scheduled backup: %q", sentry)
	}

	// /history and /schedule show what happened.
	hist, err := a.History.Report(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	h := render.History(hist, render.Plain)
	for _, w := range []string{"backup · schedule · failed", "summary · schedule · ok", "pg_dump"} {
		if !strings.Contains(h, w) {
			t.Errorf("/history lacks %q:\n%s", w, h)
		}
	}
	entries, loc := Schedule(a.Config, a.History)(ctx)
	s := render.Schedule(entries, loc, time.Now(), render.Plain)
	for _, w := range []string{"last failed", "last ok"} {
		if !strings.Contains(s, w) {
			t.Errorf("/schedule lacks %q:\n%s", w, s)
		}
	}
}

// At start, a backup runs when none is recent enough, and says why; with a
// fresh one, nothing runs. Two instances starting at once catch up once:
// the second finds the catch-up claimed.
func TestCatchUpBackup(t *testing.T) {
	a, api := serveService(t, map[string]string{"NOTIFY_SUCCESS": "brief"})
	ctx := t.Context()
	var scheds []*jobs.Scheduler
	for range 2 {
		sched, err := a.scheduler(ctx)
		if err != nil {
			t.Fatal(err)
		}
		scheds = append(scheds, sched)
	}
	var wg sync.WaitGroup
	for _, sched := range scheds {
		wg.Add(1)
		go func() { defer wg.Done(); a.catchUp(ctx, sched) }()
	}
	wg.Wait()
	l, err := a.Jobs.Catalog.List(ctx)
	list := l.Backups
	if err != nil || len(list) != 1 {
		t.Fatalf("after the catch-up: %d backups, %v", len(list), err)
	}
	got := waitDelivered(t, api, 1)
	if !strings.Contains(got[0], "Catch-up backup at start: no verified backup exists") {
		t.Fatalf("the catch-up said:\n%s", got[0])
	}
	a.catchUp(ctx, scheds[0])
	if l, _ := a.Jobs.Catalog.List(ctx); len(l.Backups) != 1 {
		t.Fatalf("a second catch-up with a fresh backup made %d backups", len(l.Backups))
	}
	runs, _ := a.History.Report(ctx, 10)
	if len(runs.Runs) != 1 || runs.Runs[0].Job != "backup" || runs.Runs[0].Trigger != vocab.TriggerSchedule || runs.Runs[0].Outcome != "ok" {
		t.Fatalf("history after the catch-up: %+v", runs.Runs)
	}
}

// A scheduled backup whose copy off the machine fails is still a verified
// backup, but the chat gets the full report with the copy's failure, and
// Sentry hears of it, whatever NOTIFY_SUCCESS says.
func TestScheduledBackupCopyFailureSpeaks(t *testing.T) {
	a, api := serveService(t, map[string]string{"NOTIFY_SUCCESS": "brief", "BACKUP_COPY_COMMAND": "echo offsite unreachable >&2; exit 7"})
	hub, events := mockHub(t)
	a.Hub = hub
	if err := a.scheduledBackup("")(t.Context(), 0); err != nil {
		t.Fatalf("the backup itself failed: %v", err)
	}
	got := waitDelivered(t, api, 1)
	if !strings.Contains(got[0], "Backup verified") || !strings.Contains(got[0], "BACKUP_COPY_COMMAND failed: exit status 7: offsite unreachable") {
		t.Fatalf("delivered:\n%s", got[0])
	}
	var copyEvents int
	for _, e := range events.Events() {
		if e.Tags["component"] == "backup copy" && e.Tags["trigger"] == string(vocab.TriggerSchedule) {
			copyEvents++
		}
	}
	if copyEvents != 1 {
		t.Errorf("%d Sentry events for the failed copy, want 1", copyEvents)
	}
	// The next daily summary still says so.
	if err := a.scheduledSummary(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	got = waitDelivered(t, api, 2)
	if !strings.Contains(got[1], "Daily summary") || !strings.Contains(got[1], "its copy off this machine FAILED: exit status 7") {
		t.Errorf("summary:\n%s", got[1])
	}
}
