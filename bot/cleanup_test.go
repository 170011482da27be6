package bot_test

import (
	"context"
	"fmt"
	"html"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/bot"
	"github.com/pgkeeper/pgkeeper/internal/confirm"
	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/internal/testkit/bottest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/telegramtest"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// tableSum is a digest of the whole keys table, for before/after comparisons.
const tableSum = `SELECT ('x' || substr(md5(coalesce(string_agg(k::text, '|' ORDER BY k::text), '')), 1, 15))::bit(60)::bigint
	FROM whatsapp_keys k`

// cleanupHarness is a bot with /cleanup over a seeded database whose clock is
// fixed, so the exact SQL counts use the very cutoff the job uses.
type cleanupHarness struct {
	*bottest.Harness
	url         string
	now, cutoff time.Time
	job         *jobs.Cleanup
}

func startCleanup(t *testing.T, keys int, wrap func(*jobs.Cleanup) bot.Jobs, store *confirm.Store) *cleanupHarness {
	t.Helper()
	return startCleanupWith(t, keys, wrap, store, nil)
}

// startCleanupWith is startCleanup with the bot's settings adjusted.
func startCleanupWith(t *testing.T, keys int, wrap func(*jobs.Cleanup) bot.Jobs, store *confirm.Store,
	adjust func(*bot.Settings)) *cleanupHarness {
	t.Helper()
	j, url := realJobs(t, pgtest.Seed{Companies: 3, Keys: keys, Days: 60})
	pgtest.Exec(t, url, `
		UPDATE whatsapp_keys k SET updated_at = now() - interval '50 days'
		FROM whatsapp_auth a WHERE a.company_id = k.company_id
		  AND k.key_type = 'pre-key' AND k.key_id = ((a.creds->>'nextPreKeyId')::bigint - 1)::text`)
	now := time.Now().Truncate(time.Second)
	cfg := jobs.DefaultCleanupConfig(filepath.Join(j.Backups.(jobs.Catalog).Dir, "undo"))
	cfg.BatchSize = 50 // several batches, so a Stop lands between two
	c := &jobs.Cleanup{DB: j.Status.(*jobs.Status).DB, Config: cfg, Now: func() time.Time { return now }}
	j.Cleanup = c
	if wrap != nil {
		j = wrap(c)
	}
	j.Confirm = store
	return &cleanupHarness{Harness: bottest.Start(t, j, adjust), url: url, now: now, cutoff: now.AddDate(0, 0, -30), job: c}
}

func (h *cleanupHarness) count(t *testing.T, where string) int64 {
	t.Helper()
	q := "SELECT count(*) FROM whatsapp_keys k"
	if where == "" {
		return pgtest.QueryInt(t, h.url, q)
	}
	return pgtest.QueryInt(t, h.url, q+" WHERE "+where, h.cutoff, h.now)
}

// next waits for a call of method made after the first since ones whose
// text contains want.
func (h *cleanupHarness) next(t *testing.T, method string, since int, want string) telegramtest.Call {
	t.Helper()
	return h.API.WaitCallAfter(t, method, since, func(c telegramtest.Call) bool {
		return strings.Contains(c.Params["text"], want)
	}, 30*time.Second)
}

// preview sends /cleanup and returns the preview message with its buttons.
func (h *cleanupHarness) preview(t *testing.T) telegramtest.Call {
	t.Helper()
	since := len(h.API.Calls("sendMessage"))
	h.API.SendText(bottest.Admin, "/cleanup")
	return h.next(t, "sendMessage", since, "Nothing is deleted before the button")
}

// deleteButton is the [Delete N keys] button under message id.
func (h *cleanupHarness) deleteButton(t *testing.T, id int) telegramtest.Button {
	t.Helper()
	_, markup, _ := h.API.Message(bottest.Admin, id)
	for _, b := range telegramtest.Buttons(markup) {
		if strings.HasPrefix(b.Text, "Delete ") {
			return b
		}
	}
	t.Fatalf("no Delete button under message %d: %s", id, markup)
	return telegramtest.Button{}
}

// press presses the button named name under message id as from, and waits
// for the answer containing want.
func (h *cleanupHarness) press(t *testing.T, from int64, id int, data, want string) {
	t.Helper()
	since := len(h.API.Calls("answerCallbackQuery"))
	h.API.Press(from, bottest.Admin, id, data)
	h.next(t, "answerCallbackQuery", since, want)
}

func answers(h *cleanupHarness) string {
	var s strings.Builder
	for _, c := range h.API.Calls("answerCallbackQuery") {
		s.WriteString(c.Params["text"] + "\n")
	}
	return s.String()
}

func TestCleanupEndToEnd(t *testing.T) {
	h := startCleanup(t, 3000, nil, nil)
	rows, expired := h.count(t, ""), h.count(t, pgtest.Deletable)
	if expired == 0 || expired == rows {
		t.Fatalf("seed gives %d expired of %d rows: the test needs some of each", expired, rows)
	}
	sum := pgtest.QueryInt(t, h.url, tableSum)
	keptSum := pgtest.QueryInt(t, h.url, strings.Replace(tableSum, "FROM whatsapp_keys k", "FROM whatsapp_keys k WHERE NOT coalesce("+pgtest.Deletable+", false)", 1), h.cutoff, h.now)

	// The preview's figures are the exact SQL counts.
	p := h.preview(t)
	text := p.Params["text"]
	want := []string{fmt.Sprintf("%s of %s keys would be deleted", humanize.Int(expired), humanize.Int(rows)), "table ", "indexes ", "total "}
	for _, kt := range []string{"pre-key", "session", "sender-key", "lid-mapping"} {
		if n := h.count(t, pgtest.Deletable+" AND k.key_type = '"+kt+"'"); n > 0 {
			want = append(want, fmt.Sprintf("%-24s %10s", kt, humanize.Int(n)))
		}
	}
	old := pgtest.QueryInt(t, h.url, "SELECT count(*) FROM whatsapp_keys WHERE updated_at < $1", h.now.Add(-30*24*time.Hour))
	want = append(want, html.EscapeString(fmt.Sprintf("%-7s %10s", "> 30 d", humanize.Int(old))))
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("preview lacks %q:\n%s", w, text)
		}
	}
	if b := h.deleteButton(t, p.MessageID); b.Text != "Delete "+humanize.Int(expired)+" keys" {
		t.Errorf("button %q, want the exact count", b.Text)
	}

	// Cancel deletes nothing.
	h.API.PressButton(t, bottest.Admin, bottest.Admin, p.MessageID, "Cancel")
	h.Shown(t, bottest.Admin, p.MessageID, "Cancelled: nothing was done", 10*time.Second)

	// A stranger's press and a forged one are refused and delete nothing.
	p = h.preview(t)
	del := h.deleteButton(t, p.MessageID)
	h.press(t, bottest.Stranger, p.MessageID, del.Data, "private")
	h.press(t, bottest.Admin, p.MessageID, "\fcf|forgedtoken|y", "no longer valid")
	if n := h.count(t, ""); n != rows {
		t.Fatalf("%d rows after cancel and refused presses, want %d", n, rows)
	}

	// Confirmed twice: it runs once and deletes exactly the expired, unprotected rows.
	since := len(h.API.Calls("sendMessage"))
	h.API.Press(bottest.Admin, bottest.Admin, p.MessageID, del.Data)
	h.API.Press(bottest.Admin, bottest.Admin, p.MessageID, del.Data)
	prog := h.next(t, "sendMessage", since, "Cleanup starting")
	report, _ := h.Shown(t, bottest.Admin, prog.MessageID, "Cleanup deleted", 60*time.Second)
	if !strings.Contains(report, "Cleanup deleted "+humanize.Int(expired)+" keys") || !strings.Contains(report, "vacuum: VACUUM (ANALYZE)") ||
		!strings.Contains(report, "dead tuples") {
		t.Errorf("report:\n%s", report)
	}
	if n := h.count(t, ""); n != rows-expired {
		t.Errorf("%d rows left, want %d", n, rows-expired)
	}
	if s := pgtest.QueryInt(t, h.url, tableSum); s != keptSum {
		t.Error("the rows left are not exactly the rows the rules keep")
	}
	if starts := h.API.SentContaining("Cleanup starting"); starts != 1 {
		t.Errorf("the cleanup started %d times, want once", starts)
	}
	for _, w := range []string{"private", "no longer valid", "Already done"} {
		if !strings.Contains(answers(h), w) {
			t.Errorf("no %q among the button answers:\n%s", w, answers(h))
		}
	}

	// Undo: a stranger cannot; an admin puts exactly the deleted rows back, once.
	_, markup := h.Shown(t, bottest.Admin, prog.MessageID, "undo until", time.Second)
	undo, ok := telegramtest.FindButton(markup, "Undo")
	if !ok {
		t.Fatalf("no Undo button under the report: %s", markup)
	}
	h.press(t, bottest.Stranger, prog.MessageID, undo.Data, "private")
	since = len(h.API.Calls("sendMessage"))
	h.API.Press(bottest.Admin, bottest.Admin, prog.MessageID, undo.Data)
	h.API.Press(bottest.Admin, bottest.Admin, prog.MessageID, undo.Data)
	undone := h.next(t, "sendMessage", since, "back…")
	text, _ = h.Shown(t, bottest.Admin, undone.MessageID, "came back", 60*time.Second)
	if !strings.Contains(text, "all "+humanize.Int(expired)+" keys in the file came back") || strings.Contains(text, "skipped") {
		t.Errorf("undo report:\n%s", text)
	}
	if s := pgtest.QueryInt(t, h.url, tableSum); s != sum {
		t.Error("after undo the table differs from before the cleanup")
	}
}

func TestCleanupExpiredConfirmationDeletesNothing(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	h := startCleanup(t, 500, nil, confirm.New(time.Minute, clock))
	rows := h.count(t, "")
	p := h.preview(t)
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	h.press(t, bottest.Admin, p.MessageID, h.deleteButton(t, p.MessageID).Data, "expired")
	if n := h.count(t, ""); n != rows {
		t.Errorf("%d rows after an expired confirmation, want %d", n, rows)
	}
}

func TestCleanupBusyLockNamesTheHolder(t *testing.T) {
	h := startCleanup(t, 500, nil, nil)
	rows := h.count(t, "")
	lock, err := h.job.DB.TryLock(context.Background(), "backup", "test holder", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock(context.Background())
	p := h.preview(t)
	h.press(t, bottest.Admin, p.MessageID, h.deleteButton(t, p.MessageID).Data, "Starting")
	prog := h.Reply(t, bottest.Admin, "Cleanup starting")
	h.Shown(t, bottest.Admin, prog.MessageID, "backup already running since", 20*time.Second)
	h.Shown(t, bottest.Admin, prog.MessageID, "started by test holder", time.Second)
	if n := h.count(t, ""); n != rows {
		t.Errorf("%d rows with the lock held elsewhere, want %d", n, rows)
	}
}

// pausing runs a real cleanup but holds it after its first batch until the
// test releases it: a Stop then lands between batches, whatever the speed.
type pausing struct {
	*jobs.Cleanup
	paused  chan struct{}
	release chan struct{}
	mu      sync.Mutex
	ctx     context.Context
}

func (p *pausing) Run(ctx context.Context, opts jobs.CleanupOptions, progress func(jobs.CleanupProgress)) (jobs.CleanupReport, error) {
	p.mu.Lock()
	p.ctx = ctx
	p.mu.Unlock()
	once := sync.Once{}
	return p.Cleanup.Run(ctx, opts, func(cp jobs.CleanupProgress) {
		progress(cp)
		if cp.Phase == jobs.PhaseDeleting {
			once.Do(func() {
				close(p.paused)
				<-p.release
			})
		}
	})
}

func (p *pausing) stopped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ctx.Err() != nil
}

func TestCleanupStopMidway(t *testing.T) {
	pause := &pausing{paused: make(chan struct{}), release: make(chan struct{})}
	var releaseOnce sync.Once
	release := func() { releaseOnce.Do(func() { close(pause.release) }) }
	h := startCleanup(t, 3000, func(c *jobs.Cleanup) bot.Jobs {
		pause.Cleanup = c
		return bot.Jobs{Cleanup: pause}
	}, nil)
	t.Cleanup(release) // first of the cleanups: a failing test must not leave the run held
	rows, expired := h.count(t, ""), h.count(t, pgtest.Deletable)
	p := h.preview(t)
	h.press(t, bottest.Admin, p.MessageID, h.deleteButton(t, p.MessageID).Data, "Starting")
	prog := h.Reply(t, bottest.Admin, "Cleanup starting")
	select {
	case <-pause.paused:
	case <-time.After(30 * time.Second):
		t.Fatal("the run never reached its first batch")
	}
	// A stranger's Stop and a forged one change nothing.
	_, markup, _ := h.API.Message(bottest.Admin, prog.MessageID)
	stop, ok := telegramtest.FindButton(markup, "Stop")
	if !ok {
		t.Fatalf("no Stop button under the progress: %s", markup)
	}
	h.press(t, bottest.Stranger, prog.MessageID, stop.Data, "private")
	h.press(t, bottest.Admin, prog.MessageID, "\fcf|forgedstop|y", "no longer valid")
	if pause.stopped() {
		t.Fatal("a stranger's or a forged press stopped the run")
	}
	h.press(t, bottest.Admin, prog.MessageID, stop.Data, "Stopping")
	// The press is answered at once, then the run is stopped.
	for deadline := time.Now().Add(10 * time.Second); !pause.stopped(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Stop did not stop the run")
		}
	}
	release()
	report, _ := h.Shown(t, bottest.Admin, prog.MessageID, "Cleanup stopped", 30*time.Second)
	gone := rows - h.count(t, "")
	if gone <= 0 || gone >= expired {
		t.Errorf("%d of %d rows went: a stop after the first batch should leave some", gone, expired)
	}
	if !strings.Contains(report, "Cleanup stopped: "+humanize.Int(gone)+" keys deleted") {
		t.Errorf("the report does not say the %d rows that went:\n%s", gone, report)
	}
	// Consistent: every row gone was pgtest.Deletable; none the rules keep.
	if n := h.count(t, "NOT coalesce("+pgtest.Deletable+", false)"); n != rows-expired {
		t.Errorf("%d kept rows left, want %d", n, rows-expired)
	}
	// What a stopped run deleted can be undone like any other.
	_, markup, _ = h.API.Message(bottest.Admin, prog.MessageID)
	undo, ok := telegramtest.FindButton(markup, "Undo")
	if !ok {
		t.Fatalf("no Undo under the stopped run's report: %s", markup)
	}
	since := len(h.API.Calls("sendMessage"))
	h.API.Press(bottest.Admin, bottest.Admin, prog.MessageID, undo.Data)
	back := h.next(t, "sendMessage", since, "back…")
	h.Shown(t, bottest.Admin, back.MessageID, "all "+humanize.Int(gone)+" keys in the file came back", 30*time.Second)
	if n := h.count(t, ""); n != rows {
		t.Errorf("%d rows after undoing the stopped run, want %d", n, rows)
	}
}

// A scheduled cleanup held back by its guards posts its preview through
// OfferCleanup; the buttons then work as /cleanup's do.
func TestOfferCleanupPostsWorkingButtons(t *testing.T) {
	h := startCleanup(t, 500, nil, nil)
	rows, expired := h.count(t, ""), h.count(t, pgtest.Deletable)
	if err := h.Bot.OfferCleanup(context.Background(), "held back <b>preview</b>", expired); err != nil {
		t.Fatal(err)
	}
	offer := h.Reply(t, bottest.Admin, "held back")
	if b := h.deleteButton(t, offer.MessageID); b.Text != "Delete "+humanize.Int(expired)+" keys" {
		t.Errorf("button %q", b.Text)
	}
	if n := h.count(t, ""); n != rows {
		t.Fatalf("%d rows before any press, want %d", n, rows)
	}
	h.press(t, bottest.Admin, offer.MessageID, h.deleteButton(t, offer.MessageID).Data, "Starting")
	prog := h.Reply(t, bottest.Admin, "Cleanup starting")
	h.Shown(t, bottest.Admin, prog.MessageID, "Cleanup deleted "+humanize.Int(expired)+" keys", 60*time.Second)
	if n := h.count(t, ""); n != rows-expired {
		t.Errorf("%d rows left, want %d", n, rows-expired)
	}
}

// An Undo pressed while another heavy job runs puts nothing back and gives
// the button back, so it can be pressed again once the lock is free.
func TestCleanupUndoWhileBusyGivesTheButtonBack(t *testing.T) {
	h := startCleanup(t, 500, nil, nil)
	rows := h.count(t, "")
	p := h.preview(t)
	h.press(t, bottest.Admin, p.MessageID, h.deleteButton(t, p.MessageID).Data, "Starting")
	prog := h.Reply(t, bottest.Admin, "Cleanup starting")
	_, markup := h.Shown(t, bottest.Admin, prog.MessageID, "undo until", 60*time.Second)
	undo, ok := telegramtest.FindButton(markup, "Undo")
	if !ok {
		t.Fatalf("no Undo button: %s", markup)
	}
	lock, err := h.job.DB.TryLock(context.Background(), "backup", "test holder", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	since := len(h.API.Calls("sendMessage"))
	h.API.Press(bottest.Admin, bottest.Admin, prog.MessageID, undo.Data)
	busy := h.next(t, "sendMessage", since, "back…")
	_, markup = h.Shown(t, bottest.Admin, busy.MessageID, "Nothing was put back", 20*time.Second)
	again, ok := telegramtest.FindButton(markup, "Undo")
	if !ok || again.Data == undo.Data {
		t.Fatalf("no fresh Undo button after the busy lock: %s", markup)
	}
	lock.Unlock(context.Background())
	since = len(h.API.Calls("sendMessage"))
	h.API.Press(bottest.Admin, bottest.Admin, busy.MessageID, again.Data)
	back := h.next(t, "sendMessage", since, "back…")
	h.Shown(t, bottest.Admin, back.MessageID, "came back", 30*time.Second)
	if n := h.count(t, ""); n != rows {
		t.Errorf("%d rows after the second Undo, want %d", n, rows)
	}
}
