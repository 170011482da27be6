package main

import (
	"context"
	"sync"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/service"
)

// serve runs the bot, the schedules and the outbox until SIGINT or SIGTERM,
// then stops them in reverse order of start.
func serve(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 {
		return misused("takes no arguments, got %q", args)
	}
	a.log.Info("pgkeeper starting", "version", version, "database", a.db.Database())
	started := time.Now()
	hist, histErr := service.AwaitHistory(ctx, a.cfg.StartupDBWait, a.prepareHistory, a.log, a.red)
	if ctx.Err() != nil {
		a.log.Info("pgkeeper stopped while waiting for its database")
		return nil
	}
	if histErr != nil {
		a.degraded = render.Degraded
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

	notifier := a.notifier(ctx, &wg)
	b, err := a.bot(ctx, notifier)
	if err != nil {
		a.log.Error("cannot start the bot", "err", err)
		return quietly(exitFailed)
	}
	svc := a.service(notifier, b)
	if _, err := svc.StartMetrics(ctx, &wg); err != nil {
		a.log.Error("cannot serve HTTP_ADDR", "err", err)
		return quietly(exitFailed)
	}
	if histErr != nil {
		svc.DegradedStart(ctx, started, histErr)
	}
	stop, err := svc.Start(ctx, &wg)
	if err != nil {
		a.log.Error("cannot schedule jobs", "err", err)
		return quietly(exitUsage)
	}
	defer stop()
	if err := b.Run(ctx); err != nil {
		a.log.Error("bot stopped", "err", err)
		return quietly(exitFailed)
	}
	a.log.Info("pgkeeper stopped")
	return nil
}
