// Package outbox queues the notifications for the alert chat in the
// database and delivers them in order through a Sender, so that no job waits
// on Telegram and no alert is lost to an outage or a restart.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/pgkeeper/pgkeeper/internal/backoff"
	"github.com/pgkeeper/pgkeeper/internal/redact"
	"github.com/pgkeeper/pgkeeper/internal/render"
	"github.com/pgkeeper/pgkeeper/store"
)

// Outbox defaults.
const (
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = 30 * time.Second
	DefaultPoll       = 10 * time.Second
)

const (
	// outboxEnqueueTimeout bounds how long Send waits for the database before
	// holding a message in memory: a job must not hang on a sick server.
	outboxEnqueueTimeout = 3 * time.Second
	// outboxMaxHeld bounds the messages held in memory while the database
	// cannot take them.
	outboxMaxHeld = 500
	// Bot API limits: a caption's length (UTF-16 units) and a photo's bytes.
	outboxCaptionLimit = 1024
	outboxMaxPhoto     = 10 << 20
)

// Sender delivers one message to Telegram; the bot implements it
// (bot.Sender). Its errors must not carry secrets: they are stored.
type Sender interface {
	// SendText sends text to chat, in forum topic thread (0: none), as
	// Telegram HTML or, when html is false, as plain text.
	SendText(ctx context.Context, chat, thread int64, text string, html bool) error
	// SendPhoto sends a PNG with an HTML caption to chat, in topic thread.
	SendPhoto(ctx context.Context, chat, thread int64, png []byte, caption string) error
	// Refused reports whether a send's error means Telegram rejected the
	// message itself (its markup, its size), not an outage, a flood or a
	// wrong chat: sent again unchanged, it would be refused again.
	Refused(err error) bool
	// RetryAfter is how long Telegram asked to wait after a send's error
	// (a 429); 0 when it did not ask.
	RetryAfter(err error) time.Duration
}

// Config configures an Outbox.
type Config struct {
	DB       *store.DB
	Schema   string // empty: store.DefaultSchema
	Sender   Sender
	ChatID   int64 // TELEGRAM_CHAT_ID
	ThreadID int64 // TELEGRAM_THREAD_ID, a forum topic; 0: none
	Logger   *slog.Logger
	// Redactor hides the secrets (the bot token at least) in what is
	// queued, stored and logged.
	Redactor *redact.Redactor
	// MinBackoff is the first wait after a failed delivery; each further
	// failure doubles it up to MaxBackoff. Telegram's retry_after wins when longer.
	MinBackoff, MaxBackoff time.Duration
	// Poll is how often an idle outbox looks for messages that another
	// pgkeeper process enqueued (its own wake it at once).
	Poll time.Duration
}

// Outbox delivers notifications to the alert chat without making anyone
// wait on Telegram: Send and SendPhoto store the message in the database's
// outbox and return; Run delivers the outbox in order, retrying with backoff
// while Telegram fails, so undelivered messages survive outages and restarts.
// When the database cannot take a message, it is held in memory and sent
// from there: alerts matter most when the database is down.
type Outbox struct {
	cfg  Config
	log  *slog.Logger
	red  *redact.Redactor
	wake chan struct{}

	mu   sync.Mutex
	held []store.Message // not in the database yet, oldest first
}

// New checks cfg and prepares an outbox; nothing runs until Run.
func New(cfg Config) (*Outbox, error) {
	switch {
	case cfg.DB == nil:
		return nil, errors.New("outbox: no database")
	case cfg.Sender == nil:
		return nil, errors.New("outbox: no sender")
	case cfg.Redactor == nil:
		return nil, errors.New("outbox: no redactor")
	case cfg.ChatID == 0:
		return nil, errors.New("outbox: no chat to send to")
	}
	if cfg.Schema == "" {
		cfg.Schema = store.DefaultSchema
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.MinBackoff)
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	o := &Outbox{cfg: cfg, log: cfg.Logger, red: cfg.Redactor, wake: make(chan struct{}, 1)}
	if o.log == nil {
		o.log = slog.Default()
	}
	return o, nil
}

// Send queues an HTML message for the alert chat, split into messages
// Telegram accepts, and returns without waiting for delivery. It fails only
// when the message is empty or cannot be kept anywhere.
func (o *Outbox) Send(ctx context.Context, text string) error {
	text = strings.TrimSpace(o.red.String(text))
	if text == "" {
		return errors.New("outbox: empty message")
	}
	return o.enqueue(ctx, o.texts(text))
}

// SendPhoto queues a PNG with an HTML caption. A caption too long for one is
// sent as a message after the photo.
func (o *Outbox) SendPhoto(ctx context.Context, png []byte, caption string) error {
	if len(png) == 0 || len(png) > outboxMaxPhoto {
		return fmt.Errorf("outbox: photo of %d bytes (at most %d)", len(png), outboxMaxPhoto)
	}
	caption = strings.TrimSpace(o.red.String(caption))
	photo := o.message(store.KindPhoto, caption)
	photo.Photo = png
	if len(utf16.Encode([]rune(plainText(caption)))) <= outboxCaptionLimit {
		return o.enqueue(ctx, []store.Message{photo})
	}
	photo.Body = ""
	return o.enqueue(ctx, append([]store.Message{photo}, o.texts(caption)...))
}

func (o *Outbox) texts(text string) []store.Message {
	var msgs []store.Message
	for _, part := range render.Split(text, render.TelegramLimit) {
		msgs = append(msgs, o.message(store.KindHTML, part))
	}
	return msgs
}

func (o *Outbox) message(kind, body string) store.Message {
	return store.Message{ChatID: o.cfg.ChatID, ThreadID: o.cfg.ThreadID, Kind: kind, Body: body}
}

// enqueue stores msgs in the database, or holds them in memory when it
// cannot take them (or while earlier messages are held: they go first).
func (o *Outbox) enqueue(ctx context.Context, msgs []store.Message) error {
	o.mu.Lock()
	if len(o.held) == 0 {
		o.mu.Unlock()
		// Not the caller's context: a job cancelled by shutdown still reports.
		ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), outboxEnqueueTimeout)
		_, err := o.cfg.DB.Enqueue(ectx, o.cfg.Schema, msgs...)
		cancel()
		if err == nil {
			o.poke()
			return nil
		}
		o.log.Warn("outbox: database cannot take a notification; holding it in memory", "err", o.red.Error(err))
		o.mu.Lock()
	}
	defer o.mu.Unlock()
	if len(o.held)+len(msgs) > outboxMaxHeld {
		return fmt.Errorf("outbox: %d notifications already held in memory; dropping this one", len(o.held))
	}
	o.held = append(o.held, msgs...)
	o.poke()
	return nil
}

func (o *Outbox) poke() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Run delivers the outbox until ctx is done, then returns nil; a request in
// flight is cancelled. Run it once, in a goroutine of its own.
func (o *Outbox) Run(ctx context.Context) error {
	failures := 0
	retry := backoff.Backoff{Min: o.cfg.MinBackoff, Max: o.cfg.MaxBackoff}
	for ctx.Err() == nil {
		sent, err := o.step(ctx)
		switch {
		case ctx.Err() != nil:
		case errors.Is(err, store.ErrUndeliverable):
			o.log.Error("outbox: Telegram refused a notification, also as plain text; dropped it", "err", o.red.Error(err))
		case errors.Is(err, store.ErrOutboxBusy):
			outboxWait(ctx, o.cfg.MinBackoff, nil)
		case err != nil:
			failures++
			o.failed(ctx, failures, retry.Next(), err)
		case sent:
			if failures > 0 {
				o.log.Info("outbox: delivering again", "failed_attempts", failures)
			}
			failures = 0
			retry.Reset()
		default:
			outboxWait(ctx, o.cfg.Poll, o.wake)
		}
	}
	return nil
}

// failed logs a failed delivery (the first, then every tenth) and waits out
// the backoff d, or Telegram's retry_after when longer.
func (o *Outbox) failed(ctx context.Context, failures int, d time.Duration, err error) {
	d = max(d, o.cfg.Sender.RetryAfter(err))
	if failures == 1 || failures%10 == 0 {
		o.log.Warn("outbox: delivery failed; notifications wait in the outbox", "attempts", failures, "retry_in", d, "err", o.red.Error(err))
	}
	outboxWait(ctx, d, nil)
}

// step delivers at most one message: the oldest held in memory when there
// is one (after trying to move them all into the database), otherwise the
// database's oldest. sent is false when there was nothing to deliver.
func (o *Outbox) step(ctx context.Context) (sent bool, err error) {
	o.mu.Lock()
	held := append([]store.Message(nil), o.held...)
	o.mu.Unlock()
	if len(held) > 0 {
		ectx, cancel := context.WithTimeout(ctx, outboxEnqueueTimeout)
		_, perr := o.cfg.DB.Enqueue(ectx, o.cfg.Schema, held...)
		cancel()
		if perr != nil {
			err = o.deliver(ctx, held[0])
			if err != nil && !errors.Is(err, store.ErrUndeliverable) {
				return true, err
			}
			held = held[:1]
		}
		o.mu.Lock()
		o.held = o.held[len(held):] // Send may have appended meanwhile
		o.mu.Unlock()
		return true, err
	}
	_, found, err := o.cfg.DB.DeliverNext(ctx, o.cfg.Schema, func(ctx context.Context, m store.Message) error {
		return o.deliver(ctx, m)
	})
	return found, err
}

// deliver sends m. When Telegram refuses the message itself (bad HTML, a bad
// photo), it tries once more as plain text, and gives up (ErrUndeliverable)
// if that is refused too. Errors come back redacted: they are stored.
func (o *Outbox) deliver(ctx context.Context, m store.Message) error {
	err := o.send(ctx, m, false)
	if err == nil || !o.cfg.Sender.Refused(err) {
		return err
	}
	o.log.Warn("outbox: Telegram refused a notification; sending it as plain text", "id", m.ID, "err", err)
	err2 := o.send(ctx, m, true)
	if err2 != nil && o.cfg.Sender.Refused(err2) {
		return fmt.Errorf("%w: %w", store.ErrUndeliverable, err2)
	}
	return err2
}

func (o *Outbox) send(ctx context.Context, m store.Message, plain bool) error {
	var err error
	switch {
	case plain && m.Kind == store.KindPhoto:
		err = o.cfg.Sender.SendText(ctx, m.ChatID, m.ThreadID, strings.TrimSpace(plainText(m.Body)+"\n(the chart could not be sent)"), false)
	case plain:
		err = o.cfg.Sender.SendText(ctx, m.ChatID, m.ThreadID, plainText(m.Body), false)
	case m.Kind == store.KindPhoto:
		err = o.cfg.Sender.SendPhoto(ctx, m.ChatID, m.ThreadID, m.Photo, m.Body)
	default:
		err = o.cfg.Sender.SendText(ctx, m.ChatID, m.ThreadID, m.Body, true)
	}
	return o.red.Error(err)
}

var tagRe = regexp.MustCompile(`<[^>]*>`)

// plainText is what an HTML message reads as without its markup.
func plainText(s string) string { return html.UnescapeString(tagRe.ReplaceAllString(s, "")) }

// outboxWait sleeps for d, until ctx is done, or until wake fires.
func outboxWait(ctx context.Context, d time.Duration, wake <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-wake:
	}
}
