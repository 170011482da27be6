package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pgkeeper/pgkeeper/bot"
	"github.com/pgkeeper/pgkeeper/handlers"
	"github.com/pgkeeper/pgkeeper/internal/confirm"
	"github.com/pgkeeper/pgkeeper/internal/render"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/outbox"
)

// serve runs the bot, the schedules and the outbox until SIGINT or SIGTERM,
// then stops them in reverse order of start.
func serve(ctx context.Context, a *app, args []string) int {
	if len(args) > 0 {
		fmt.Fprintf(a.stderr, "pgkeeper serve: takes no arguments, got %q\n", args)
		return exitUsage
	}
	a.log.Info("pgkeeper starting", "version", version, "database", a.db.Database())
	started := time.Now()
	hist, histErr := a.awaitHistory(ctx, a.cfg.StartupDBWait)
	if ctx.Err() != nil {
		a.log.Info("pgkeeper stopped while waiting for its database")
		return exitOK
	}
	if histErr != nil {
		a.degraded = "run history, outbox and the two-instance lock are off: pgkeeper started while its database was down: restart pgkeeper once the database answers"
		a.log.Error("starting without pgkeeper's schema: run history, outbox and the two-instance lock are off until restart",
			"schema", a.cfg.Schema, "waited", time.Since(started).Round(time.Second), "err", a.red.Error(histErr))
	}
	if hist != nil {
		// Before the metrics seed their last outcomes: a run a killed
		// pgkeeper left "running" is a failure, not a success.
		hist.AbandonDead(ctx, "serve start")
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Before anything runs, so that the metrics hear of every run.
	if _, err := a.startMetrics(ctx, &wg); err != nil {
		a.log.Error("cannot serve HTTP_ADDR", "err", err)
		return exitFailed
	}
	notify := a.notifier(ctx, &wg)
	if histErr != nil {
		a.capture("serve")("start", histErr)
		a.deliver(ctx, notify, degradedStart(a.cfg.Schema, time.Since(started), a.red.String(histErr.Error())))
	}
	// The scheduler is built before the bot it posts cleanup buttons through,
	// and started after it: b is set before any scheduled run reads it.
	var b *bot.Bot
	offer := func(ctx context.Context, html string, toDelete int64) error {
		if b == nil {
			return errors.New("the bot is not running")
		}
		return b.OfferCleanup(ctx, html, toDelete)
	}
	sched, err := a.scheduler(ctx, notify, offer)
	if err != nil {
		a.log.Error("cannot schedule jobs", "err", err)
		return exitUsage
	}
	b, err = bot.New(ctx, bot.Settings{
		Token:    a.cfg.BotToken,
		APIURL:   a.cfg.APIURL,
		Admins:   a.cfg.AdminIDs,
		ChatID:   a.cfg.ChatID,
		ThreadID: a.cfg.ThreadID,
		Logger:   a.log,
		Redactor: a.red,
		Hub:      a.hub,
	}, bot.Jobs{
		Status:      a.statusJob(),
		Backup:      a.backupJob(),
		Backups:     a.catalog(),
		Capture:     a.capture("chat"),
		Notify:      notify,
		RestoreTest: a.restoreJob(),
		Cleanup:     a.cleanupJob(a.cfg.CleanupBatchSize, "chat"),
		Confirm:     confirm.New(a.cfg.ConfirmTTL, nil),
		History:     historyReader(hist),
		Schedule:    a.scheduleReader(sched),
		Trends:      a.trendsReader(),
	})
	if err != nil {
		a.log.Error("cannot start the bot", "err", err)
		return exitFailed
	}
	if sched != nil {
		sched.Start()
		defer func() {
			if err := sched.Shutdown(); err != nil {
				a.log.Warn("scheduler shutdown", "err", err)
			}
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.catchUp(ctx, notify)
		}()
	}
	if a.cfg.DBWatch > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.watchDatabase(ctx, notify)
		}()
	}
	if err := b.Run(ctx); err != nil {
		a.log.Error("bot stopped", "err", err)
		return exitFailed
	}
	a.log.Info("pgkeeper stopped")
	return exitOK
}

// historyReader keeps a nil *History from becoming a non-nil interface.
func historyReader(h *jobs.History) interface {
	Report(ctx context.Context, limit int) (jobs.HistoryReport, error)
} {
	if h == nil {
		return nil
	}
	return h
}

// notifier returns how jobs tell the alert chat: through the outbox, which
// never makes them wait and survives Telegram outages; directly when the
// database cannot hold an outbox.
func (a *app) notifier(ctx context.Context, wg *sync.WaitGroup) func(context.Context, string) error {
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
			a.sendPhoto = ob.SendPhoto
			return ob.Send
		}
		a.log.Warn("outbox off", "err", err)
	}
	return func(ctx context.Context, html string) error {
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		return bot.SendAlert(ctx, a.cfg.APIURL, a.cfg.BotToken, a.cfg.ChatID, html)
	}
}

// trendsReader backs /trends; nil (not offered) without a run history.
func (a *app) trendsReader() handlers.TrendsReader {
	if a.hist == nil {
		return nil
	}
	return func(ctx context.Context) (jobs.TrendsReport, error) { return a.hist.Trends(ctx, a.cfg.Location) }
}

// scheduleReader backs /schedule.
func (a *app) scheduleReader(s *jobs.Scheduler) func(ctx context.Context) ([]render.ScheduleEntry, *time.Location) {
	return func(ctx context.Context) ([]render.ScheduleEntry, *time.Location) {
		var last map[string]storeRun
		if a.hist != nil {
			last, _ = a.hist.LastRuns(ctx)
		}
		var out []render.ScheduleEntry
		for _, name := range scheduledNames {
			e := render.ScheduleEntry{Job: name}
			if s != nil {
				e.Cron = s.Cron(name)
				e.Next, _ = s.Next(name)
			}
			if r, ok := last[name]; ok {
				e.Last = &r
			}
			out = append(out, e)
		}
		return out, a.cfg.Location
	}
}
