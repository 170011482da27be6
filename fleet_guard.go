package main

import (
	"context"
	"sync"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/internal/slots"
	"github.com/pgkeeper/pgkeeper/service"
)

// guard is one database a serve of several guards: its own app (pool,
// history in its own schema), and the service running its schedules.
type guard struct {
	name   string
	server string // host:port: BACKUP_PARALLEL counts per server
	a      *app
}

// run is serve's start for one database: wait for its schema, mark what a
// killed pgkeeper left running, start its schedules, catch-up and watch
// until ctx ends. A database down at start is its own degraded state: the
// others run on. ready is told once its history is known (or not).
func (g *guard) run(ctx context.Context, wg *sync.WaitGroup, notifier service.Notifier, servers *slots.Servers, ready func()) {
	a := g.a
	started := time.Now()
	hist, histErr := service.AwaitHistory(ctx, a.cfg.StartupDBWait, a.prepareHistory, a.log, a.red)
	if histErr != nil && ctx.Err() == nil {
		a.degraded = render.Degraded
		a.log.Error("guarding without pgkeeper's schema: run history and the two-instance lock are off until restart",
			"schema", a.cfg.Schema, "waited", time.Since(started).Round(time.Second), "err", a.red.Error(histErr))
	}
	if hist != nil {
		hist.AbandonDead(ctx, "serve start")
	}
	svc := a.service(notifier, nil)
	svc.Name, svc.Slots, svc.Server = g.name, servers, g.server
	ready()
	if ctx.Err() != nil {
		return
	}
	if histErr != nil {
		svc.DegradedStart(ctx, started, histErr)
	}
	stop, err := svc.Start(ctx, wg)
	if err != nil {
		a.log.Error("cannot schedule jobs", "err", err)
		svc.NotGuarded(ctx, err)
		return
	}
	<-ctx.Done()
	stop()
}
