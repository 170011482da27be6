package main

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/pgkeeper/pgkeeper/bot"
	"github.com/pgkeeper/pgkeeper/internal/config"
	"github.com/pgkeeper/pgkeeper/internal/slots"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// serveRolesTTL is how long a server's roles, dumped by one database's
// backup, serve the others' backups: one schedule tick of a fleet fits in
// it, and a roles file is never older than this beside its dump.
const serveRolesTTL = 10 * time.Minute

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
	servers := slots.New(cfg.Parallel)
	servers.Warn = func(server string, err error) { state.log.Warn(perProcess(server, state.red.String(err.Error()))) }
	f := &fleet{cfg: cfg, state: state, notifier: state.notifier(ctx, &wg), servers: servers,
		roles: jobs.NewRoles(serveRolesTTL, nil),
		wg:    &wg, guards: map[string]*guard{}, told: map[string]bool{}, stdout: stdout, stderr: stderr}
	if cfg.HTTPAddr != "" {
		if err := f.serveMetrics(ctx); err != nil {
			state.log.Error("cannot serve HTTP_ADDR", "err", err)
			return exit(stderr, state.red, "serve", quietly(exitFailed))
		}
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
	return exit(stderr, state.red, "serve", chat(ctx, state, f, f.list()))
}

// chat runs the bot over the databases guarded at start until ctx ends
// (one found later runs its schedules and alerts; the chat knows it after a
// restart).
func chat(ctx context.Context, state *app, f *fleet, guards []*guard) error {
	var dbs []bot.Database
	for _, g := range guards {
		dbs = append(dbs, bot.Database{Name: g.name, Jobs: g.a.botJobs(f.notifier)})
	}
	b, err := bot.NewFleet(ctx, state.botSettings(), dbs)
	if err != nil {
		state.log.Error("cannot start the bot", "err", err)
		return quietly(exitFailed)
	}
	f.chat.Store(b)
	if err := b.Run(ctx); err != nil {
		state.log.Error("bot stopped", "err", err)
		return quietly(exitFailed)
	}
	state.log.Info("pgkeeper stopped")
	return nil
}
