package main

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/pgkeeper/pgkeeper/bot"
	"github.com/pgkeeper/pgkeeper/internal/config"
	"github.com/pgkeeper/pgkeeper/internal/slots"
	"github.com/pgkeeper/pgkeeper/service"
)

// serveAll is `pgkeeper serve` guarding every database (#14): the named
// ones, DATABASE_URL's, and those each DATABASE_SERVER_<NAME> holds (found
// at start and again before each scheduled backup). Each runs as a serve of
// one would, on its own app; one outbox, in the state database, tells the
// one alert chat about all of them, so that a database that is down is
// still heard of through another.
func serveAll(ctx context.Context, cfg config.Config, stdout, stderr io.Writer) int {
	scfg := cfg
	scfg.DatabaseURL = cfg.StateURL
	state, err := newApp(ctx, scfg, stdout, stderr)
	if err != nil {
		return exit(stderr, nil, "", &exitError{code: exitUsage, err: err})
	}
	defer state.close()
	state.log.Info("pgkeeper starting", "version", version, "state", state.db.Database())
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The outbox's table; a state database down now sends straight to
	// Telegram instead.
	state.history(ctx)
	f := &fleet{cfg: cfg, state: state, notifier: state.notifier(ctx, &wg), servers: slots.New(cfg.Parallel),
		wg: &wg, guards: map[string]*guard{}, told: map[string]bool{}, stdout: stdout, stderr: stderr}
	if cfg.HTTPAddr != "" {
		state.log.Warn("HTTP_ADDR: metrics for several databases come with issue #14's next step: not served")
	}
	var ready sync.WaitGroup
	f.refresh(ctx, targets(ctx, cfg), &ready)
	ready.Wait()
	if ctx.Err() != nil {
		state.log.Info("pgkeeper stopped")
		return exitOK
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		f.rediscover(ctx)
	}()
	return exit(stderr, state.red, "serve", chat(ctx, state, f.notifier, f.list()))
}

// chat runs the bot over the guarded databases until ctx ends. Until the
// chat serves several (bot.NewFleet), serve runs their schedules and alerts
// without it.
func chat(ctx context.Context, state *app, notifier service.Notifier, guards []*guard) error {
	var dbs []bot.Database
	for _, g := range guards {
		dbs = append(dbs, bot.Database{Name: g.name, Jobs: g.a.botJobs(notifier)})
	}
	b, err := bot.NewFleet(ctx, state.botSettings(), dbs)
	switch {
	case errors.Is(err, bot.ErrSeveralDatabases):
		state.log.Warn("chat commands are off: the chat serves one database for now; schedules and alerts run for every database",
			"databases", len(dbs))
		<-ctx.Done()
	case err != nil:
		state.log.Error("cannot start the bot", "err", err)
		return quietly(exitFailed)
	default:
		if err := b.Run(ctx); err != nil {
			state.log.Error("bot stopped", "err", err)
			return quietly(exitFailed)
		}
	}
	state.log.Info("pgkeeper stopped")
	return nil
}
