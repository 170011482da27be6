package main

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/present/metrics"
	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/internal/slots"
	"github.com/pgkeeper/pgkeeper/service"
)

// guard is one database a serve of several guards: its own app (pool,
// history in its own schema), and the service running its schedules.
type guard struct {
	name   string
	server string // host:port: BACKUP_PARALLEL counts per server
	found  bool   // discovered on a server: dropped when gone
	a      *app
	cancel func() // drops it
	offer  service.Offerer
	// metrics are its series on HTTP_ADDR's page; nil: not served.
	metrics *metrics.Metrics
}

// run is serve's start for one database: wait for its schema, mark what a
// killed pgkeeper left running, start its schedules, catch-up and watch
// until ctx ends, then close its app. A database down at start is its own
// degraded state: the others run on. ready is told once its history is
// known (or not).
func (g *guard) run(ctx context.Context, notifier service.Notifier, servers *slots.Servers, ready func()) {
	a := g.a
	var wg sync.WaitGroup
	defer a.close()
	defer wg.Wait()
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
	svc := a.service(notifier, g.offer)
	svc.Name, svc.Slots, svc.Server = g.name, servers, g.server
	if g.metrics != nil && ctx.Err() == nil {
		svc.FeedMetrics(ctx, &wg, g.metrics)
	}
	ready()
	if ctx.Err() != nil {
		return
	}
	if histErr != nil {
		svc.DegradedStart(ctx, started, histErr)
	}
	stop, err := svc.Start(ctx, &wg)
	if err != nil {
		a.log.Error("cannot schedule jobs", "err", err)
		svc.NotGuarded(ctx, err)
		return
	}
	<-ctx.Done()
	stop()
}

// sleep waits d (nothing when d ≤ 0), or for ctx: false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(max(d, 0))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// list is the guarded databases, by name.
func (f *fleet) list() []*guard {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*guard
	for _, g := range f.guards {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b *guard) int { return cmp.Compare(a.name, b.name) })
	return out
}
