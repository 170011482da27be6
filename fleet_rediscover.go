package main

import (
	"context"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pgkeeper/pgkeeper/bot"
	"github.com/pgkeeper/pgkeeper/internal/config"
	"github.com/pgkeeper/pgkeeper/internal/present/metrics"
	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/internal/slots"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/service"
)

// fleet is what a serve of several databases guards, and what they share.
type fleet struct {
	cfg      config.Config
	state    *app
	notifier service.Notifier
	servers  *slots.Servers
	roles    *jobs.Roles // each server's roles, dumped once per serveRolesTTL
	wg       *sync.WaitGroup
	stdout   io.Writer
	stderr   io.Writer

	// chat is the bot once it runs: held-back cleanups post their buttons
	// through it.
	chat atomic.Pointer[bot.Bot]
	// metrics serves every database's series on HTTP_ADDR; nil: not set.
	metrics *metrics.Fleet

	mu     sync.Mutex
	guards map[string]*guard // by name
	told   map[string]bool   // problems already told the chat, once each
}

// rediscoverEvery, when set (tests), finds the servers' databases that
// often instead of a minute before each scheduled backup.
var rediscoverEvery time.Duration

// rediscover finds each DATABASE_SERVER_<NAME>'s databases again a minute
// before each tick of BACKUP_SCHEDULE, until ctx ends: a new one is guarded
// from then on (its catch-up backs it up), one gone is told once and dropped.
func (f *fleet) rediscover(ctx context.Context) {
	if len(f.cfg.Servers) == 0 || (f.cfg.BackupSchedule == "" && rediscoverEvery == 0) {
		return
	}
	for {
		wait := rediscoverEvery
		var after time.Duration // past the tick, so that it is not found twice
		if wait == 0 {
			next, err := jobs.NextRun(f.cfg.BackupSchedule, time.Now().In(f.cfg.Location))
			if err != nil {
				return
			}
			wait, after = max(time.Until(next)-time.Minute, 0), time.Until(next)+time.Second
		}
		if !sleep(ctx, wait) {
			return
		}
		f.refresh(ctx, targets(ctx, f.cfg), nil)
		if !sleep(ctx, after-wait) {
			return
		}
	}
}

// refresh guards each target not guarded yet and drops each discovered
// database no longer found (unless its server could not be listed); a
// target that cannot be guarded is told once. ready, when not nil, counts
// the new guards until their history is known.
func (f *fleet) refresh(ctx context.Context, ts []target, ready *sync.WaitGroup) {
	f.mu.Lock()
	defer f.mu.Unlock()
	unlisted := map[string]bool{}
	for _, t := range ts {
		if t.whole {
			unlisted[t.server] = true
		}
	}
	for name, g := range f.guards {
		if g.found && !unlisted[g.server] && !slices.ContainsFunc(ts, func(t target) bool { return !t.whole && t.name == name }) {
			g.cancel()
			delete(f.guards, name)
			f.unmeasure(name)
			f.tell(ctx, name, "gone", render.NoLongerFound(g.server))
		}
	}
	for _, t := range ts {
		if f.guards[t.name] != nil || (t.whole && t.err == nil) {
			continue
		}
		if t.err == nil {
			var a *app
			if a, t.err = newApp(ctx, t.cfg, f.stdout, f.stderr); t.err == nil {
				a.roles = f.roles
				f.start(ctx, t, a, ready)
				continue
			}
		}
		f.tell(ctx, t.name, "not guarded", render.NotGuarded(f.state.red.String(t.err.Error())))
	}
}

// start guards t on its app a until ctx ends or t is dropped.
func (f *fleet) start(ctx context.Context, t target, a *app, ready *sync.WaitGroup) {
	a.log = a.log.With("database", t.name)
	a.log.Info("guarding", "server", t.server)
	ctx, cancel := context.WithCancel(ctx)
	g := &guard{name: t.name, server: t.server, found: t.found, a: a, cancel: cancel, offer: chatOffer{&f.chat, t.name},
		metrics: f.measure(t.name)}
	f.guards[t.name] = g
	done := func() {}
	if ready != nil {
		ready.Add(1)
		done = ready.Done
	}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		g.run(ctx, f.notifier, f.servers, done)
	}()
}

// tell logs a problem with database name and tells the chat, once per
// database and kind.
func (f *fleet) tell(ctx context.Context, name, kind, msg string) {
	f.state.log.Error(kind, "database", name, "msg", msg)
	if f.told[kind+"/"+name] {
		return
	}
	f.told[kind+"/"+name] = true
	if err := f.notifier.Send(ctx, render.ForDatabase(name, msg)); err != nil {
		f.state.log.Error("could not queue a notification", "err", f.state.red.Error(err))
	}
}
