package bot

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/pgkeeper/pgkeeper/internal/testkit/logtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/telegramtest"
)

// pollerRig is a real telebot Bot polling a fake Bot API with a Poller.
type pollerRig struct {
	srv  *telegramtest.Server
	bot  *tele.Bot
	log  *logtest.Buffer
	got  chan string // texts handled, in order
	stop func() time.Duration
}

// newPollerRig builds the bot; setup runs before polling starts (to queue
// updates or failures).
func newPollerRig(t *testing.T, p *Poller, setup func(*telegramtest.Server)) *pollerRig {
	t.Helper()
	r := &pollerRig{srv: telegramtest.New(t), log: &logtest.Buffer{}, got: make(chan string, 100)}
	p.Logger = slog.New(slog.NewTextHandler(r.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b, err := tele.NewBot(tele.Settings{
		URL: r.srv.URL, Token: r.srv.Token, Poller: p,
		Synchronous: true, // handlers run in update order
	})
	if err != nil {
		t.Fatal(err)
	}
	r.bot = b
	b.Handle(tele.OnText, func(c tele.Context) error {
		r.got <- c.Text()
		return nil
	})
	if setup != nil {
		setup(r.srv)
	}
	go b.Start()
	// Bot.Stop blocks forever if called twice: once, whoever comes first.
	var once sync.Once
	r.stop = func() (took time.Duration) {
		once.Do(func() {
			start := time.Now()
			b.Stop()
			took = time.Since(start)
		})
		return took
	}
	t.Cleanup(func() { r.stop() })
	return r
}

// expect reads texts until want is complete, failing on anything else.
func (r *pollerRig) expect(t *testing.T, want ...string) {
	t.Helper()
	for i, w := range want {
		select {
		case got := <-r.got:
			if got != w {
				t.Fatalf("update %d: got %q, want %q (want all of %q)", i, got, w, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("update %d (%q) never handled; calls:\n%v", i, w, r.srv.AllCalls())
		}
	}
}

func TestPollerDeliversInOrderOnce(t *testing.T) {
	r := newPollerRig(t, &Poller{Timeout: time.Second, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond},
		func(s *telegramtest.Server) {
			s.SendText(1, "one")
			s.SendText(1, "two")
		})
	r.expect(t, "one", "two")
	r.srv.SendText(1, "three")
	r.srv.SendTextInChat(2, -100, "four")
	r.expect(t, "three", "four")
	// A failed poll must neither lose nor repeat updates.
	r.srv.FailNext("getUpdates", 2, http.StatusBadGateway, telegramtest.BadGatewayHTML)
	r.srv.SendText(1, "five")
	r.srv.SendText(1, "end")
	// Had an offset not advanced, a repeat would come before "end".
	r.expect(t, "five", "end")

	c := r.srv.Calls("getUpdates")[0]
	if c.Params["timeout"] != "1" || c.Params["allowed_updates"] != `["message","callback_query"]` {
		t.Fatalf("getUpdates params %v", c.Params)
	}
	// A poll with offset 7 that the fake failed (502) confirmed nothing.
	r.srv.WaitCall(t, "getUpdates", func(c telegramtest.Call) bool {
		return c.Params["offset"] == "7" && c.Status == http.StatusOK
	}, 5*time.Second)
	if n := r.srv.Pending(); n != 0 {
		t.Fatalf("%d updates never confirmed", n)
	}
}

func TestPollerSkipsUnreadableUpdate(t *testing.T) {
	r := newPollerRig(t, &Poller{Timeout: time.Second}, func(s *telegramtest.Server) {
		s.SendUpdate("message", map[string]any{"message_id": "not a number"})
		s.SendText(1, "next")
	})
	r.expect(t, "next")
}

// maxPolls bounds the getUpdates calls a Poller may make during an outage:
// the first, then one after each wait, each wait at least 3/4 of its step.
func maxPolls(outage, minB, maxB time.Duration) int {
	n, elapsed, step := 1, time.Duration(0), time.Duration(0)
	for {
		step = min(max(2*step, minB), maxB)
		if elapsed += step * 3 / 4; elapsed > outage {
			return n
		}
		n++
	}
}

func TestPollerBacksOffDuringOutage(t *testing.T) {
	const (
		outage = 1500 * time.Millisecond
		minB   = 50 * time.Millisecond
		maxB   = 400 * time.Millisecond
	)
	cases := []struct {
		name    string
		status  int
		body    string
		wantLog string
	}{
		{"proxy 502 page", http.StatusBadGateway, telegramtest.BadGatewayHTML, "not Bot API JSON"},
		{"409 conflict", http.StatusConflict, telegramtest.ConflictJSON, "another instance is polling or a webhook is set"},
		{"500 JSON", http.StatusInternalServerError, `{"ok":false,"error_code":500,"description":"Internal Server Error"}`, "error 500"},
		// The transport error telebot returns has the token in its URL.
		{"connection dropped", 0, "", "getUpdates"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var start time.Time
			r := newPollerRig(t, &Poller{Timeout: time.Second, MinBackoff: minB, MaxBackoff: maxB},
				func(s *telegramtest.Server) {
					start = time.Now()
					s.FailFor(outage, tc.status, tc.body)
				})
			ok := r.srv.WaitCall(t, "getUpdates", func(c telegramtest.Call) bool { return c.Status == http.StatusOK }, 10*time.Second)
			r.srv.SendText(1, "after the outage")
			r.expect(t, "after the outage")

			var during int
			for _, c := range r.srv.Calls("getUpdates") {
				if c.At.Before(ok.At) {
					during++
				}
			}
			if bound := maxPolls(ok.At.Sub(start), minB, maxB); during < 2 || during > bound {
				t.Errorf("%d getUpdates calls in the %v outage, want 2..%d", during, ok.At.Sub(start).Round(time.Millisecond), bound)
			}

			if took := r.stop(); took > 5*time.Second { // a Stop that waited out a 25 s long poll
				t.Errorf("Stop took %v", took)
			}
			logs := r.log.String()
			_, secret, _ := strings.Cut(r.srv.Token, ":")
			if strings.Contains(logs, secret) {
				t.Errorf("the token leaked into the log:\n%s", logs)
			}
			if !strings.Contains(logs, tc.wantLog) || !strings.Contains(logs, "Bot API reachable again") {
				t.Errorf("log lacks %q or the recovery line:\n%s", tc.wantLog, logs)
			}
			// The first failure, then at most one line per MaxBackoff.
			if n, bound := strings.Count(logs, "level=WARN"), 2+int(outage/maxB); n < 1 || n > bound {
				t.Errorf("%d warnings, want 1..%d:\n%s", n, bound, logs)
			}
		})
	}
}

func TestPollerHonoursRetryAfter(t *testing.T) {
	r := newPollerRig(t, &Poller{Timeout: time.Second, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond},
		func(s *telegramtest.Server) {
			s.FailNext("getUpdates", 1, http.StatusTooManyRequests, telegramtest.FloodJSON(1))
		})
	r.srv.SendText(1, "x")
	r.expect(t, "x")
	calls := r.srv.Calls("getUpdates")
	if gap := calls[1].At.Sub(calls[0].At); gap < 950*time.Millisecond {
		t.Fatalf("retried %v after a 429 with retry_after 1", gap)
	}
}

func TestPollerStopsPromptly(t *testing.T) {
	cases := []struct {
		name  string
		p     *Poller
		setup func(*telegramtest.Server)
		// ready reports the poller is where we want to stop it.
		ready func(telegramtest.Call) bool
	}{
		{"during a long poll", &Poller{}, nil, // default 25s long poll
			func(c telegramtest.Call) bool { return true }},
		{"during a backoff", &Poller{MinBackoff: 20 * time.Second},
			func(s *telegramtest.Server) {
				s.FailFor(time.Minute, http.StatusBadGateway, telegramtest.BadGatewayHTML)
			},
			func(c telegramtest.Call) bool { return c.Status == http.StatusBadGateway }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newPollerRig(t, tc.p, tc.setup)
			r.srv.WaitArrived(t, "getUpdates", tc.ready, 5*time.Second)
			if took := r.stop(); took > 5*time.Second { // a Stop that waited out a 25 s long poll
				t.Fatalf("Stop took %v", took)
			}
		})
	}
}

func TestHideToken(t *testing.T) {
	const token = "123456789:AAexample-secret-0123456789abcdef"
	cases := []struct{ in, want string }{
		{`telebot: Post "https://api.telegram.org/bot` + token + `/getUpdates": EOF`,
			`telebot: Post "https://api.telegram.org/bot***/getUpdates": EOF`},
		{"escaped 123456789%3AAAexample-secret-0123456789abcdef", "escaped 123456789%3A***"},
		{"nothing secret", "nothing secret"},
	}
	for _, tc := range cases {
		if got := hideToken(tc.in, token); got != tc.want {
			t.Errorf("hideToken(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := hideToken("x", ""); got != "x" {
		t.Errorf("empty token: %q", got)
	}
}
