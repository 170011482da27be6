// Package outbox queues the notifications for the alert chat in the
// database and delivers them in order through a Sender, so that no job waits
// on Telegram and no alert is lost to an outage or a restart.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/internal/redact"
	"github.com/pgkeeper/pgkeeper/store"
)

// Outbox defaults.
const (
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = 30 * time.Second
	DefaultPoll       = 10 * time.Second
)

const (
	// enqueueTimeout bounds how long Send waits for the database before
	// holding a message in memory: a job must not hang on a sick server.
	enqueueTimeout = 3 * time.Second
	// maxHeld bounds the messages held in memory while the database
	// cannot take them.
	maxHeld = 500
	// Bot API limits: a caption's length (UTF-16 units) and a photo's bytes.
	captionLimit = 1024
	maxPhoto     = 10 << 20
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
	if len(png) == 0 || len(png) > maxPhoto {
		return fmt.Errorf("outbox: photo of %d bytes (at most %d)", len(png), maxPhoto)
	}
	caption = strings.TrimSpace(o.red.String(caption))
	photo := o.message(store.KindPhoto, caption)
	photo.Photo = png
	if len(utf16.Encode([]rune(plainText(caption)))) <= captionLimit {
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
		ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), enqueueTimeout)
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
	if len(o.held)+len(msgs) > maxHeld {
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
