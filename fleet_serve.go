package main

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/pgkeeper/pgkeeper/bot"
	"github.com/pgkeeper/pgkeeper/internal/config"
	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/internal/slots"
	"github.com/pgkeeper/pgkeeper/service"
)

// serveAll is `pgkeeper serve` guarding every database (#14): the named
// ones, DATABASE_URL's, and those each DATABASE_SERVER_<NAME> holds at
// start. Each runs as a serve of one would, on its own app; one outbox, in
// the state database, tells the one alert chat about all of them, so that a
// database that is down is still heard of through another.
func serveAll(ctx context.Context, cfg config.Config, stdout, stderr io.Writer) int {
	scfg := cfg
	scfg.DatabaseURL = cfg.StateURL
	state, err := newApp(ctx, scfg, stdout, stderr)
	if err != nil {
		return exit(stderr, nil, "", &exitError{code: exitUsage, err: err})
	}
	defer state.close()
	state.log.Info("pgkeeper starting", "version", version, "state", state.db.Database())
	var guards []*guard
	// Their pools close once everything that uses them has stopped.
	defer func() {
		for _, g := range guards {
			g.a.close()
		}
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The outbox's table; a state database down now sends straight to
	// Telegram instead.
	state.history(ctx)
	notifier := state.notifier(ctx, &wg)
	if cfg.HTTPAddr != "" {
		state.log.Warn("HTTP_ADDR: metrics for several databases come with issue #14's next step: not served")
	}

	for _, t := range targets(ctx, cfg) {
		if t.err == nil {
			var a *app
			if a, t.err = newApp(ctx, t.cfg, stdout, stderr); t.err == nil {
				a.log = a.log.With("database", t.name)
				guards = append(guards, &guard{name: t.name, server: t.server, a: a})
				continue
			}
		}
		state.log.Error("not guarded", "database", t.name, "err", state.red.Error(t.err))
		if err := notifier.Send(ctx, render.ForDatabase(t.name, render.NotGuarded(state.red.String(t.err.Error())))); err != nil {
			state.log.Error("could not queue a notification", "err", state.red.Error(err))
		}
	}
	servers := slots.New(cfg.Parallel)
	var ready sync.WaitGroup
	for _, g := range guards {
		g.a.log.Info("guarding", "server", g.server)
		ready.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.run(ctx, &wg, notifier, servers, ready.Done)
		}()
	}
	ready.Wait()
	if ctx.Err() != nil {
		state.log.Info("pgkeeper stopped")
		return exitOK
	}
	return exit(stderr, state.red, "serve", chat(ctx, state, notifier, guards))
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
