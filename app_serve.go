package main

import (
	"context"
	"sync"

	"github.com/pgkeeper/pgkeeper/bot"
	"github.com/pgkeeper/pgkeeper/handlers"
	"github.com/pgkeeper/pgkeeper/internal/confirm"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/outbox"
	"github.com/pgkeeper/pgkeeper/service"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// notifier is how serve tells the alert chat: through the outbox, which
// never makes anyone wait and survives Telegram outages, delivering until
// ctx ends; directly when the database cannot hold an outbox.
func (a *app) notifier(ctx context.Context, wg *sync.WaitGroup) service.Notifier {
	if a.heading != "" {
		return headed{Notifier: a.plainNotifier(ctx, wg), line: a.heading}
	}
	return a.plainNotifier(ctx, wg)
}

// plainNotifier is notifier without the heading.
func (a *app) plainNotifier(ctx context.Context, wg *sync.WaitGroup) service.Notifier {
	if a.hist != nil {
		ob, err := outbox.New(outbox.Config{DB: a.db, Schema: a.cfg.Schema,
			Sender: &bot.Sender{APIURL: a.cfg.APIURL, Token: a.cfg.BotToken, Redactor: a.red},
			ChatID: a.cfg.ChatID, ThreadID: a.cfg.ThreadID, Logger: a.log, Redactor: a.red})
		if err == nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := ob.Run(ctx); err != nil && ctx.Err() == nil {
					a.log.Error("outbox stopped", "err", err)
				}
			}()
			return ob
		}
		a.log.Warn("outbox off", "err", err)
	}
	return service.Direct{APIURL: a.cfg.APIURL, Token: a.cfg.BotToken, ChatID: a.cfg.ChatID, ThreadID: a.cfg.ThreadID}
}

// bot builds the Telegram front end over the jobs; it contacts nobody
// until Run.
func (a *app) bot(ctx context.Context, notifier service.Notifier) (*bot.Bot, error) {
	return bot.New(ctx, a.botSettings(), a.botJobs(notifier))
}

// botSettings are the chat's settings: who may command it, where it speaks.
func (a *app) botSettings() bot.Settings {
	return bot.Settings{
		Token: a.cfg.BotToken, APIURL: a.cfg.APIURL, Admins: a.cfg.AdminIDs, ChatID: a.cfg.ChatID, ThreadID: a.cfg.ThreadID,
		Logger: a.log, Redactor: a.red, Hub: a.hub, Heading: a.heading,
	}
}

// headed opens every message of its Notifier with line, as the bot's
// replies are (the demo's "🧪 demo database").
type headed struct {
	service.Notifier
	line string
}

func (h headed) Send(ctx context.Context, html string) error {
	return h.Notifier.Send(ctx, handlers.HeadedHTML(h.line, html))
}

func (h headed) SendPhoto(ctx context.Context, png []byte, caption string) error {
	return h.Notifier.SendPhoto(ctx, png, handlers.HeadedHTML(h.line, caption))
}

// botJobs are the jobs the chat runs on this app's database.
func (a *app) botJobs(notifier service.Notifier) bot.Jobs {
	return bot.Jobs{
		Status:      a.statusJob(),
		Backup:      a.backupJob(),
		Backups:     a.catalog(),
		Remotes:     a.remoteNames(),
		Capture:     a.capture("chat"),
		Notify:      notifier.Send,
		RestoreTest: a.restoreJob(),
		Cleanup:     a.cleanupJob(a.cfg.CleanupBatchSize, "chat"),
		Confirm:     confirm.New(a.cfg.ConfirmTTL, nil),
		History:     historyReader(a.hist),
		Schedule:    service.Schedule(a.cfg, a.hist),
		Trends:      a.trendsReader(),
	}
}

// service builds what serve runs on its own; offerer posts a held-back
// cleanup's buttons (the bot).
func (a *app) service(notifier service.Notifier, offerer service.Offerer) *service.Service {
	return &service.Service{Config: a.cfg, DB: a.db, History: a.hist, Notifier: notifier, Offerer: offerer,
		Logger: a.log, Redactor: a.red, Hub: a.hub, Jobs: service.Jobs{
			Backup:  a.backupJob(),
			Cleanup: a.cleanupJob(a.cfg.CleanupBatchSize, vocab.TriggerSchedule),
			Restore: a.restoreJob(),
			Status:  a.statusJob(),
			Catalog: a.catalog(),
		}}
}

// historyReader keeps a nil *History from becoming a non-nil interface.
func historyReader(h *jobs.History) handlers.HistoryReader {
	if h == nil {
		return nil
	}
	return h
}

// trendsReader backs /trends; nil (not offered) without a run history.
func (a *app) trendsReader() handlers.TrendsReader {
	if a.hist == nil {
		return nil
	}
	return func(ctx context.Context) (jobs.TrendsReport, error) { return a.hist.Trends(ctx, a.cfg.Location) }
}
