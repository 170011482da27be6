package outbox_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/bot"
	"github.com/pgkeeper/pgkeeper/internal/redact"
	"github.com/pgkeeper/pgkeeper/internal/testkit/logtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/telegramtest"
	"github.com/pgkeeper/pgkeeper/outbox"
	"github.com/pgkeeper/pgkeeper/store"
)

// The bot's Sender is the one the outbox delivers through.
var _ outbox.Sender = (*bot.Sender)(nil)

const (
	alertChat   int64 = -100200300
	alertThread int64 = 42
)

// outboxRig is a fake Bot API and a database with pgkeeper's schema.
type outboxRig struct {
	api   *telegramtest.Server
	dbURL string
	db    *store.DB
	logs  *logtest.Buffer
}

func newOutboxRig(t *testing.T, migrate bool) *outboxRig {
	t.Helper()
	r := &outboxRig{api: telegramtest.New(t), dbURL: pgtest.NewDB(t), logs: &logtest.Buffer{}}
	// The alert chat is a forum: a topic it lacked would be refused.
	r.api.Forum(alertChat, int(alertThread))
	r.db = r.open(t)
	if migrate {
		if err := r.db.Migrate(t.Context(), store.DefaultSchema); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func (r *outboxRig) open(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), r.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// start runs an outbox over db (nil: the rig's) until the returned stop is
// called or the test ends; stop fails the test if Run does not return promptly.
func (r *outboxRig) start(t *testing.T, db *store.DB) (*outbox.Outbox, func()) {
	t.Helper()
	if db == nil {
		db = r.db
	}
	ob, err := outbox.New(outbox.Config{
		DB: db, Sender: &bot.Sender{APIURL: r.api.URL, Token: r.api.Token}, Redactor: redact.New(r.api.Token),
		ChatID: alertChat, ThreadID: alertThread,
		// A plain handler: the outbox must redact by itself.
		Logger:     slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Poll: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ob.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run returned %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Error("Run did not return within 5 s of cancellation")
			}
		})
	}
	t.Cleanup(stop)
	return ob, stop
}

// delivered is the text (or caption) of every message Telegram accepted, in order.
func (r *outboxRig) delivered() []string {
	var out []string
	for _, c := range r.api.AllCalls() {
		if (c.Method == "sendMessage" || c.Method == "sendPhoto") && c.Status == http.StatusOK {
			out = append(out, c.Params["text"]+c.Params["caption"])
		}
	}
	return out
}

// waitDelivered waits until n messages were accepted, then a little longer
// to catch duplicates, and returns what was delivered.
func (r *outboxRig) waitDelivered(t *testing.T, n int, within time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(within)
	for len(r.delivered()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages delivered within %v: %q\nlogs:\n%s", len(r.delivered()), n, within, r.delivered(), r.logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	return r.delivered()
}

func (r *outboxRig) pending(t *testing.T) []store.Message {
	t.Helper()
	p, err := r.db.Pending(t.Context(), store.DefaultSchema, 100)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOutboxDeliversInOrderOnceTelegramIsBack(t *testing.T) {
	r := newOutboxRig(t, true)
	// Down until the test says otherwise, however slow the machine.
	r.api.FailFor(time.Hour, http.StatusBadGateway, telegramtest.BadGatewayHTML)
	ob, _ := r.start(t, nil)

	var want []string
	for i := 1; i <= 5; i++ {
		msg := fmt.Sprintf("<b>alert %d</b>", i)
		start := time.Now()
		if err := ob.Send(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
		// A Send that waited for delivery would wait for the whole outage.
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("Send %d waited %v on a failing Bot API", i, took)
		}
		want = append(want, msg)
		if i == 1 {
			// Delivery is attempted, and fails, while the jobs go on.
			r.api.WaitCall(t, "sendMessage", func(c telegramtest.Call) bool { return c.Status == http.StatusBadGateway }, 5*time.Second)
		}
	}
	if got := r.delivered(); len(got) != 0 {
		t.Fatalf("delivered during the outage: %q", got)
	}

	r.api.FailFor(0, 0, "") // Telegram is back
	got := r.waitDelivered(t, 5, 10*time.Second)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("delivered %q, want each exactly once, in order: %q", got, want)
	}
	for _, c := range r.api.Calls("sendMessage") {
		if c.Params["chat_id"] != fmt.Sprint(alertChat) || c.Params["message_thread_id"] != fmt.Sprint(alertThread) || c.Params["parse_mode"] != "HTML" {
			t.Fatalf("sent with %v, want the alert chat's topic, as HTML", c.Params)
		}
	}
	if p := r.pending(t); len(p) != 0 {
		t.Errorf("still pending: %+v", p)
	}
	if n := pgtest.QueryInt(t, r.dbURL, "SELECT max(attempts) FROM pgkeeper.outbox"); n < 2 {
		t.Errorf("the first message was tried %d times; the outage should have cost some", n)
	}
}

func TestOutboxRestartDeliversWhatWasLeft(t *testing.T) {
	r := newOutboxRig(t, true)
	r.api.FailFor(time.Hour, http.StatusBadGateway, telegramtest.BadGatewayHTML)
	first, stopFirst := r.start(t, nil)
	for _, m := range []string{"one", "two", "three"} {
		if err := first.Send(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	r.api.WaitCall(t, "sendMessage", func(c telegramtest.Call) bool { return c.Status == http.StatusBadGateway }, 5*time.Second)
	// The fake has answered; wait until the outbox has read the answer and
	// recorded the attempt (one cut short by the stop is not recorded).
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if p := r.pending(t); len(p) > 0 && p[0].Attempts > 0 {
			break
		}
	}
	stopFirst()
	if p := r.pending(t); len(p) != 3 || p[0].Attempts == 0 || !strings.Contains(p[0].LastError, "invalid character") {
		t.Fatalf("left in the outbox: %+v", p)
	}

	r.api.FailFor(0, 0, "")
	r.start(t, r.open(t)) // a new process: its own pool, same database
	got := r.waitDelivered(t, 3, 10*time.Second)
	if fmt.Sprint(got) != "[one two three]" {
		t.Fatalf("after the restart delivered %q", got)
	}
}

func TestOutboxTwoProcessesDeliverEachMessageOnce(t *testing.T) {
	r := newOutboxRig(t, true)
	r.api.FailFor(500*time.Millisecond, http.StatusBadGateway, telegramtest.BadGatewayHTML)
	a, _ := r.start(t, nil)
	b, _ := r.start(t, r.open(t))
	var want []string
	for i := range 10 {
		ob := a
		if i%2 == 1 {
			ob = b
		}
		msg := fmt.Sprintf("m%d", i)
		if err := ob.Send(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
		want = append(want, msg)
	}
	if got := r.waitDelivered(t, 10, 10*time.Second); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("two processes delivered %q, want %q", got, want)
	}
}

func TestOutboxHonoursRetryAfter(t *testing.T) {
	r := newOutboxRig(t, true)
	r.api.FailNext("sendMessage", 1, http.StatusTooManyRequests, telegramtest.FloodJSON(1))
	ob, _ := r.start(t, nil)
	if err := ob.Send(t.Context(), "flooded"); err != nil {
		t.Fatal(err)
	}
	r.waitDelivered(t, 1, 5*time.Second)
	calls := r.api.Calls("sendMessage")
	if len(calls) != 2 || calls[0].Status != http.StatusTooManyRequests {
		t.Fatalf("calls: %+v", calls)
	}
	if gap := calls[1].At.Sub(calls[0].At); gap < time.Second {
		t.Errorf("retried %v after a 429 asking for 1 s", gap)
	}
}

func TestOutboxRedactsTheToken(t *testing.T) {
	r := newOutboxRig(t, true)
	r.api.FailNext("sendMessage", 1, 0, "") // a dropped connection: telebot's error carries the URL
	ob, _ := r.start(t, nil)
	if err := ob.Send(t.Context(), "report with "+r.api.Token+" inside"); err != nil {
		t.Fatal(err)
	}
	got := r.waitDelivered(t, 1, 5*time.Second)
	if got[0] != "report with *** inside" {
		t.Errorf("delivered %q", got[0])
	}
	if strings.Contains(r.logs.String(), r.api.Token) || !strings.Contains(r.logs.String(), "delivery failed") {
		t.Errorf("logs leak the token or miss the failure:\n%s", r.logs)
	}
	if n := pgtest.QueryInt(t, r.dbURL, "SELECT count(*) FROM pgkeeper.outbox WHERE last_error LIKE '%' || $1 || '%' OR body LIKE '%' || $1 || '%'", r.api.Token); n != 0 {
		t.Error("the token was stored in the outbox")
	}
}

func TestOutboxFallsBackToPlainText(t *testing.T) {
	r := newOutboxRig(t, true)
	r.api.FailNext("sendMessage", 1, http.StatusBadRequest,
		`{"ok":false,"error_code":400,"description":"Bad Request: can't parse entities: Unsupported start tag \"x\" at byte offset 0"}`)
	ob, _ := r.start(t, nil)
	if err := ob.Send(t.Context(), "<x>disk</x> at 91% &amp; rising"); err != nil {
		t.Fatal(err)
	}
	if err := ob.Send(t.Context(), "next"); err != nil {
		t.Fatal(err)
	}
	got := r.waitDelivered(t, 2, 5*time.Second)
	if fmt.Sprint(got) != "[disk at 91% & rising next]" {
		t.Fatalf("delivered %q", got)
	}
	if c := r.api.Calls("sendMessage")[1]; c.Params["parse_mode"] != "" {
		t.Errorf("the plain-text retry was sent as %q", c.Params["parse_mode"])
	}
}

func TestOutboxSendsPhotos(t *testing.T) {
	r := newOutboxRig(t, true)
	ob, _ := r.start(t, nil)
	png := []byte("\x89PNG\r\n\x1a\n not really")
	if err := ob.SendPhoto(t.Context(), png, "<b>Trends</b>"); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("database grew 1 % ", 80)
	if err := ob.SendPhoto(t.Context(), png, long); err != nil {
		t.Fatal(err)
	}
	got := r.waitDelivered(t, 3, 5*time.Second)
	if len(got) != 3 || got[0] != "<b>Trends</b>" || got[1] != "" || got[2] != strings.TrimSpace(long) {
		t.Fatalf("delivered %q", got)
	}
	photos := r.api.Calls("sendPhoto")
	if len(photos) != 2 || !bytes.Equal(photos[0].Upload("photo"), png) || photos[0].Params["message_thread_id"] != fmt.Sprint(alertThread) {
		t.Fatalf("sendPhoto calls: %+v", photos)
	}
}

func TestOutboxHoldsMessagesWhileTheDatabaseIsDown(t *testing.T) {
	// No schema: every write to the outbox fails, as with the database down.
	r := newOutboxRig(t, false)
	ob, _ := r.start(t, nil)
	if err := ob.Send(t.Context(), "database unreachable"); err != nil {
		t.Fatal(err)
	}
	r.waitDelivered(t, 1, 10*time.Second)

	if err := r.db.Migrate(t.Context(), store.DefaultSchema); err != nil {
		t.Fatal(err)
	}
	if err := ob.Send(t.Context(), "database back"); err != nil {
		t.Fatal(err)
	}
	got := r.waitDelivered(t, 2, 10*time.Second)
	if fmt.Sprint(got) != "[database unreachable database back]" {
		t.Fatalf("delivered %q", got)
	}
	if n := pgtest.QueryInt(t, r.dbURL, "SELECT count(*) FROM pgkeeper.outbox WHERE delivered_at IS NOT NULL"); n != 1 {
		t.Errorf("%d messages went through the database's outbox, want the second only", n)
	}
}

func TestOutboxStopsPromptlyWhileTelegramHangs(t *testing.T) {
	r := newOutboxRig(t, true)
	arrived := make(chan struct{}, 1)
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.ReadAll(req.Body) // else the server does not notice the client leaving
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-req.Context().Done() // never answers
	}))
	defer hung.Close()
	ob, err := outbox.New(outbox.Config{DB: r.db, Sender: &bot.Sender{APIURL: hung.URL, Token: r.api.Token},
		Redactor: redact.New(r.api.Token), ChatID: alertChat})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ob.Run(ctx) }()
	if err := ob.Send(t.Context(), "into the void"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived:
	case <-time.After(5 * time.Second):
		t.Fatal("the outbox never called the Bot API")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Run waited on a hung request after cancellation")
	}
	if p := r.pending(t); len(p) != 1 {
		t.Errorf("the unanswered message must stay pending: %+v", p)
	}
}
