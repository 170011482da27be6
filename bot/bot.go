// Package bot is pgkeeper's Telegram plumbing: the telebot client, a poller
// that backs off, admin-only middleware, the error funnel and the routes.
package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/getsentry/sentry-go"
	tele "gopkg.in/telebot.v3"

	"github.com/pgkeeper/pgkeeper/handlers"
	"github.com/pgkeeper/pgkeeper/internal/confirm"
	"github.com/pgkeeper/pgkeeper/internal/redact"
)

// Settings configure a Bot.
type Settings struct {
	Token    string
	APIURL   string
	Admins   []int64
	ChatID   int64 // where alerts go
	ThreadID int64 // forum topic of ChatID for what the bot posts unasked; 0: none
	Logger   *slog.Logger
	Redactor *redact.Redactor
	Poller   tele.Poller   // nil: a backing-off long poller
	Hub      *sentry.Hub   // nil: errors go to the log only
	Drain    time.Duration // how long shutdown waits for running handlers
	// Heading opens every report and reply, and what the bot posts unasked
	// ("" : none): the demo's "🧪 demo database".
	Heading string
}

// Jobs are what the bot's commands run.
type Jobs struct {
	Status  handlers.Statuser
	Backup  handlers.Backupper
	Backups handlers.BackupLister
	// Remotes names the configured remotes, so that /backups says which
	// lack a backup.
	Remotes []string
	// Capture sends a failed job's error to Sentry (nil: off).
	Capture func(component string, err error)
	// Notify queues a message for the alert chat (the outbox); nil: sent
	// directly, and lost if Telegram is down.
	Notify func(ctx context.Context, html string) error
	// RestoreTest backs /restore_test; nil: not offered.
	RestoreTest handlers.RestoreTester
	// Cleanup backs /cleanup and the buttons a scheduled cleanup posts; nil:
	// not offered.
	Cleanup handlers.Cleaner
	// Confirm holds confirmation buttons; nil: a store with the default TTL.
	Confirm *confirm.Store
	// History and Schedule back /history and /schedule; nil: not offered.
	History  handlers.HistoryReader
	Schedule handlers.ScheduleReader
	// Trends backs /trends; nil: not offered.
	Trends handlers.TrendsReader
}

// Bot is a running Telegram front end.
type Bot struct {
	tb     *tele.Bot
	ctx    context.Context
	log    *slog.Logger
	red    *redact.Redactor
	hub    *sentry.Hub
	admins map[int64]bool
	chatID int64
	notify func(ctx context.Context, html string) error
	// confirmer's expired buttons are taken off their messages while running.
	confirmer *handlers.Confirmer
	cleanup   bool // the cleanup actions are registered (OfferCleanup works)
	// cleanupIn names the databases with cleanup when the chat serves
	// several (nil with one).
	cleanupIn map[string]bool
	threadID  int // forum topic of chatID for OfferCleanup
	heading   string
	commands  []handlers.Command
	inflight  sync.WaitGroup
	drain     time.Duration
}

// New builds the bot and its routes; it contacts nobody until Run. ctx is the
// life of the process: handlers' jobs are cancelled with it.
func New(ctx context.Context, s Settings, j Jobs) (*Bot, error) {
	b, err := newBot(ctx, s)
	if err != nil {
		return nil, err
	}
	b.notify = j.Notify
	b.routes(j)
	return b, nil
}

// newBot is a Bot without routes.
func newBot(ctx context.Context, s Settings) (*Bot, error) {
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	if s.Redactor == nil {
		s.Redactor = redact.New(s.Token)
	}
	if s.Poller == nil {
		s.Poller = &Poller{Logger: s.Logger}
	}
	if s.Drain == 0 {
		s.Drain = 5 * time.Second
	}
	b := &Bot{ctx: ctx, log: s.Logger, red: s.Redactor, hub: s.Hub, admins: map[int64]bool{}, drain: s.Drain, chatID: s.ChatID}
	for _, id := range s.Admins {
		b.admins[id] = true
	}
	tb, err := tele.NewBot(tele.Settings{
		URL:    s.APIURL,
		Token:  s.Token,
		Poller: s.Poller,
		// Offline: getMe is ours to call in Run, so that a Bot API outage at
		// start does not stop pgkeeper.
		Offline: true,
		OnError: b.onError,
	})
	if err != nil {
		return nil, fmt.Errorf("telegram client: %w", b.red.Error(err))
	}
	b.tb = tb
	b.threadID = int(s.ThreadID)
	b.heading = s.Heading
	return b, nil
}

// Run polls for updates until ctx is done, then stops polling and lets running
// handlers finish for a bounded time.
func (b *Bot) Run(ctx context.Context) error {
	b.announce()
	done := make(chan struct{})
	go func() {
		b.tb.Start()
		close(done)
	}()
	b.log.Info("bot polling", "api", b.red.String(b.tb.URL), "admins", len(b.admins))
	expired := make(chan struct{})
	go func() {
		defer close(expired)
		tick := time.NewTicker(15 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				b.confirmer.Expire(b.tb)
			}
		}
	}()
	<-ctx.Done()
	<-expired
	b.tb.Stop()
	<-done
	drained := make(chan struct{})
	go func() {
		b.inflight.Wait()
		close(drained)
	}()
	select {
	case <-drained:
	case <-time.After(b.drain):
		b.log.Warn("handlers still running at shutdown; their jobs were cancelled", "waited", b.drain)
	}
	return nil
}

// announce learns the bot's username (commands like /status@name need it),
// clears any webhook (it would make getUpdates fail with 409) and publishes
// the command menu. Each is tried once; a failure is logged, not fatal: the
// poller keeps retrying the API and commands work without the menu.
func (b *Bot) announce() {
	if data, err := b.tb.Raw("getMe", nil); err != nil {
		b.log.Warn("getMe failed; the poller asks again before taking commands", "err", b.red.Error(err))
	} else {
		var resp struct{ Result tele.User }
		if json.Unmarshal(data, &resp) == nil && resp.Result.ID != 0 {
			b.tb.Me = &resp.Result
		}
	}
	if err := b.tb.RemoveWebhook(); err != nil {
		b.log.Warn("deleteWebhook failed", "err", b.red.Error(err))
	}
	cmds := make([]tele.Command, len(b.commands))
	for i, c := range b.commands {
		cmds[i] = tele.Command{Text: c.Name, Description: c.Description}
	}
	if err := b.tb.SetCommands(cmds); err != nil {
		b.log.Warn("setMyCommands failed", "err", b.red.Error(err))
	}
}
