package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/pgkeeper/pgkeeper/internal/redact"
)

// DefaultSendTimeout bounds one Bot API request of a Sender.
const DefaultSendTimeout = 30 * time.Second

// errUnconfirmed is a send that returned no message: a proxy's page taken for
// success by telebot. The message is not counted as delivered.
var errUnconfirmed = errors.New("telegram did not confirm the message (no message id)")

// Sender sends one message at a time through the Bot API without running a
// bot: the outbox delivers through it. Its errors never carry the token;
// Refused and RetryAfter read them.
type Sender struct {
	APIURL   string           // "": Telegram's
	Token    string           // the bot's
	Timeout  time.Duration    // one request; 0: DefaultSendTimeout
	Redactor *redact.Redactor // nil: one for Token
}

// SendText sends text to chat, in forum topic thread (0: none), as Telegram
// HTML or, when html is false, as plain text.
func (s *Sender) SendText(ctx context.Context, chat, thread int64, text string, html bool) error {
	opts := &tele.SendOptions{ThreadID: int(thread), DisableWebPagePreview: true}
	if html {
		opts.ParseMode = tele.ModeHTML
	}
	return s.send(ctx, chat, text, opts)
}

// SendPhoto sends a PNG with an HTML caption to chat, in forum topic thread
// (0: none).
func (s *Sender) SendPhoto(ctx context.Context, chat, thread int64, png []byte, caption string) error {
	opts := &tele.SendOptions{ThreadID: int(thread), DisableWebPagePreview: true, ParseMode: tele.ModeHTML}
	return s.send(ctx, chat, &tele.Photo{File: tele.FromReader(bytes.NewReader(png)), Caption: caption}, opts)
}

// send makes one request, ended when ctx is done: telebot sends without a
// context, and shutdown must not wait out a hung Bot API.
func (s *Sender) send(ctx context.Context, chat int64, what any, opts *tele.SendOptions) (err error) {
	red := s.Redactor
	if red == nil {
		red = redactFor(s.Token)
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultSendTimeout
	}
	var cut atomic.Bool
	tb, err := tele.NewBot(tele.Settings{URL: s.APIURL, Token: s.Token, Offline: true,
		Client: &http.Client{Timeout: timeout, Transport: ctxTransport{ctx: ctx, base: http.DefaultTransport, cut: &cut}}})
	if err != nil {
		return fmt.Errorf("telegram client: %w", red.Error(err))
	}
	defer func() {
		// telebot dereferences parts of the answer it does not check (the
		// photo sizes of a sendPhoto): a strange answer must not kill us.
		if r := recover(); r != nil {
			err = fmt.Errorf("telebot panicked on the answer: %v", r)
		}
	}()
	sent, err := tb.Send(&tele.Chat{ID: chat}, what, opts)
	if err != nil && cut.Load() {
		// Not Telegram's answer: the caller stopped waiting for one.
		return fmt.Errorf("request cut short: %w", context.Cause(ctx))
	}
	if err != nil {
		return red.Error(err)
	}
	if sent == nil || sent.ID == 0 {
		return errUnconfirmed
	}
	return nil
}

// Refused reports whether Telegram rejected the message itself (400, 413),
// rather than being unreachable, flooded, or misconfigured: a wrong chat,
// topic or missing rights is retried until someone fixes the settings.
func (*Sender) Refused(err error) bool {
	var flood tele.FloodError
	if errors.As(err, &flood) {
		return false
	}
	code := 0
	var te *tele.Error
	if errors.As(err, &te) {
		code = te.Code
	} else if m := apiCodeRe.FindStringSubmatch(err.Error()); m != nil {
		code, _ = strconv.Atoi(m[1]) // telebot's "telegram: <description> (<code>)"
	}
	if code != http.StatusBadRequest && code != http.StatusRequestEntityTooLarge {
		return false
	}
	msg := strings.ToLower(err.Error())
	for _, setting := range []string{"chat not found", "thread not found", "rights", "not a member", "blocked", "kicked"} {
		if strings.Contains(msg, setting) {
			return false
		}
	}
	return true
}

var apiCodeRe = regexp.MustCompile(`\((\d{3})\)$`)

// RetryAfter is how long Telegram asked to wait after err (a 429); 0 when it
// did not.
func (*Sender) RetryAfter(err error) time.Duration {
	var flood tele.FloodError
	if errors.As(err, &flood) {
		return time.Duration(flood.RetryAfter) * time.Second
	}
	return 0
}
