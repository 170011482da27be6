package bot

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/pgkeeper/pgkeeper/internal/backoff"
)

// Poller long-polls getUpdates and backs off when the Bot API fails. It
// replaces telebot's LongPoller, which retries a failing call (a 409 from a
// second instance, a proxy's 502 page, a dead network) in a tight loop and
// reports nothing. The zero value is ready to use.
//
// Fields must not change once polling has started, and a Poller serves one
// bot at a time (it keeps the update offset).
type Poller struct {
	// Timeout is the long-poll wait (default 25s), rounded up to whole seconds
	// as the Bot API counts them. It must stay below the HTTP client's
	// timeout (telebot's default client: 1 minute) or every poll fails.
	Timeout time.Duration
	// MinBackoff is the first wait after a failure (default 1s); each further
	// failure doubles it, up to MaxBackoff (default 30s). A success resets it.
	MinBackoff, MaxBackoff time.Duration
	// Logger gets at most one failure line per MaxBackoff (nil: slog.Default()).
	Logger *slog.Logger

	offset int             // next update_id wanted
	wait   backoff.Backoff // reset by a success
	out    outage
}

// outage is what the log has been told about the current run of failures.
type outage struct {
	since      time.Time
	failures   int
	suppressed int
	lastLog    time.Time
}

// errConflict is a 409 from getUpdates: Telegram serves one poller per bot,
// and none while a webhook is set.
var errConflict = errors.New("409 Conflict: another instance is polling or a webhook is set")

// allowedUpdates are the update kinds pgkeeper handles; others are not sent.
var allowedUpdates = []string{"message", "callback_query"}

// Poll implements tele.Poller. It returns promptly once stop is closed, also
// while sleeping or waiting on a long poll; it never closes stop (telebot's
// Start does, then waits for Poll to return).
func (p *Poller) Poll(b *tele.Bot, dest chan tele.Update, stop chan struct{}) {
	timeout, minB, maxB := p.Timeout, p.MinBackoff, p.MaxBackoff
	if timeout <= 0 {
		timeout = 25 * time.Second
	}
	// The Bot API counts whole seconds, and 0 would be short polling in a loop.
	secs := max(1, int((timeout+time.Second-1)/time.Second))
	if minB <= 0 {
		minB = time.Second
	}
	if maxB <= 0 {
		maxB = 30 * time.Second
	}
	maxB = max(maxB, minB)
	// A quarter of jitter: instances that failed together spread out.
	p.wait.Min, p.wait.Max, p.wait.Jitter = minB, maxB, 0.25
	log := p.Logger
	if log == nil {
		log = slog.Default()
	}

	for {
		asked := time.Now()
		if b.Me == nil || b.Me.Username == "" {
			// Without its username telebot drops every /cmd@name, which is
			// how commands reach a bot in a group: learn it before the
			// first update (written here, before any update is handed
			// over, it races with no reader).
			if err := learnMe(b, stop); err != nil {
				if !sleep(p.failed(log, b.Token, err, 0, maxB), stop) {
					return
				}
				continue
			}
		}
		updates, retryAfter, err := p.fetch(b, secs, stop)
		select {
		case <-stop:
			return
		default:
		}
		if err != nil {
			wait := p.failed(log, b.Token, err, retryAfter, maxB)
			if !sleep(wait, stop) {
				return
			}
			continue
		}
		p.recovered(log, asked)
		for _, u := range updates {
			select {
			case dest <- u:
				// Confirmed to Telegram by the next getUpdates: an update
				// not handed over is fetched again by whoever polls next.
				p.offset = u.ID + 1
			case <-stop:
				return
			}
		}
	}
}

// fetch makes one getUpdates call. The call runs aside so that Poll can
// return when stop closes even if telebot did not cancel the request (it only
// cancels requests started before Bot.Stop).
func (p *Poller) fetch(b *tele.Bot, secs int, stop chan struct{}) ([]tele.Update, time.Duration, error) {
	params := struct {
		Offset         int      `json:"offset"`
		Timeout        int      `json:"timeout"`
		AllowedUpdates []string `json:"allowed_updates"`
	}{p.offset, secs, allowedUpdates}
	type answer struct {
		data []byte
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		data, err := b.Raw("getUpdates", params)
		done <- answer{data, err}
	}()
	select {
	case a := <-done:
		return p.parse(a.data, a.err)
	case <-stop:
		return nil, 0, nil
	}
}

// learnMe asks getMe for the bot's username, aside so that stop ends the
// wait.
func learnMe(b *tele.Bot, stop chan struct{}) error {
	done := make(chan error, 1)
	var me tele.User
	go func() {
		data, err := b.Raw("getMe", nil)
		var resp struct {
			OK     bool      `json:"ok"`
			Result tele.User `json:"result"`
		}
		switch {
		case err != nil:
			done <- fmt.Errorf("getMe: %w", err)
		case json.Unmarshal(data, &resp) != nil || !resp.OK || resp.Result.Username == "":
			done <- fmt.Errorf("getMe: no username in the answer %q", snippet(data))
		default:
			me = resp.Result
			done <- nil
		}
	}()
	select {
	case err := <-done:
		if err == nil {
			b.Me = &me
		}
		return err
	case <-stop:
		return errors.New("stopped")
	}
}

// parse reads a getUpdates answer itself rather than trusting telebot's
// error: telebot takes a body that is not JSON (a proxy's 502 page) for success.
func (p *Poller) parse(data []byte, rawErr error) ([]tele.Update, time.Duration, error) {
	if len(data) == 0 && rawErr != nil {
		return nil, 0, rawErr
	}
	var resp struct {
		OK          bool              `json:"ok"`
		Result      []json.RawMessage `json:"result"`
		Code        int               `json:"error_code"`
		Description string            `json:"description"`
		Parameters  struct {
			RetryAfter int `json:"retry_after"`
		} `json:"parameters"`
	}
	if err := json.Unmarshal(data, &resp); err != nil {
		return nil, 0, fmt.Errorf("answer is not Bot API JSON (a proxy error page?): %q", snippet(data))
	}
	if !resp.OK {
		retry := time.Duration(resp.Parameters.RetryAfter) * time.Second
		if resp.Code == 409 {
			return nil, retry, fmt.Errorf("%w: %s", errConflict, resp.Description)
		}
		return nil, retry, fmt.Errorf("error %d: %s", resp.Code, resp.Description)
	}
	updates := make([]tele.Update, 0, len(resp.Result))
	for _, raw := range resp.Result {
		var u tele.Update
		if err := json.Unmarshal(raw, &u); err != nil {
			// Skip an update telebot cannot read rather than fetch it forever;
			// its id is still needed to move past it.
			var id struct {
				ID int `json:"update_id"`
			}
			if json.Unmarshal(raw, &id) != nil || id.ID < p.offset {
				return nil, 0, fmt.Errorf("unreadable update: %v", err)
			}
			p.offset = id.ID + 1
			continue
		}
		updates = append(updates, u)
	}
	return updates, 0, nil
}

// failed records a failure, logs it if due, and returns how long to wait:
// the next backoff step, or retry_after if that is longer.
func (p *Poller) failed(log *slog.Logger, token string, err error, retryAfter, maxB time.Duration) time.Duration {
	wait := max(p.wait.Next(), retryAfter)

	now := time.Now()
	o := &p.out
	o.failures++
	msg := hideToken(err.Error(), token)
	first, again := "Bot API getUpdates failed; backing off", "Bot API getUpdates still failing"
	if strings.HasPrefix(msg, "getMe") {
		first, again = "Bot API getMe failed; backing off", "Bot API getMe still failing"
	}
	if errors.Is(err, errConflict) {
		first = "Bot API getUpdates conflict: another instance is polling or a webhook is set; backing off"
		again = "Bot API getUpdates conflict persists: another instance is polling or a webhook is set"
	}
	switch {
	case o.failures == 1:
		o.since, o.lastLog = now, now
		log.Warn(first, "err", msg, "retry_in", wait.Round(time.Millisecond))
	case now.Sub(o.lastLog) >= maxB:
		log.Warn(again, "err", msg, "failures", o.failures,
			"suppressed", o.suppressed, "down_for", now.Sub(o.since).Round(time.Second), "retry_in", wait.Round(time.Millisecond))
		o.lastLog, o.suppressed = now, 0
	default:
		o.suppressed++
	}
	return wait
}

// recovered resets the backoff after a success and says so once. The
// outage ended when the successful call was made (asked), not when its long
// poll returned.
func (p *Poller) recovered(log *slog.Logger, asked time.Time) {
	if p.out.failures > 0 {
		log.Info("Bot API reachable again", "failures", p.out.failures,
			"down_for", asked.Sub(p.out.since).Round(time.Millisecond))
	}
	p.wait.Reset()
	p.out = outage{}
}

// sleep waits for d, or returns false as soon as stop closes.
func sleep(d time.Duration, stop chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-stop:
		return false
	}
}

// snippet is the start of a body, for a log line.
func snippet(data []byte) string {
	s := strings.Join(strings.Fields(string(data)), " ")
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return s
}

// hideToken hides the bot token in s. telebot's errors carry the request URL,
// token included; the secret half alone (after the colon) is hidden too, in
// case something printed only that or escaped the colon. (Not named redact:
// other files of this package import the redact package; the poller keeps
// its own so that it stands alone.)
func hideToken(s, token string) string {
	if token == "" {
		return s
	}
	s = strings.ReplaceAll(s, token, "***")
	if _, secret, ok := strings.Cut(token, ":"); ok && len(secret) >= 8 {
		s = strings.ReplaceAll(s, secret, "***")
	}
	return s
}
