package main

import (
	"context"
	"errors"

	"github.com/pgkeeper/pgkeeper/internal/render"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// watchDatabase tells the alert chat (and Sentry) when the guarded database
// stops answering, and when it answers again, until ctx ends. The messages
// go through the outbox, which holds them in memory while the database that
// normally keeps them is the one that is down.
func (a *app) watchDatabase(ctx context.Context, notify func(context.Context, string) error) {
	w := &jobs.Watch{DB: a.db, Interval: a.cfg.DBWatch}
	w.Run(ctx, func(ev jobs.WatchEvent) {
		msg := render.Watch(ev, a.db.Database(), a.db.Host(), render.HTML)
		if ev.Down {
			a.log.Error("database unreachable", "since", ev.Since, "err", a.red.String(ev.Error))
			a.capture("watch")("database", errors.New("database unreachable: "+ev.Error))
		} else {
			a.log.Info("database answers again", "down_for", ev.Lasted)
		}
		a.deliver(ctx, notify, msg)
	})
}
