package service

import (
	"context"
	"errors"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// watchDatabase tells the alert chat (and Sentry) when the guarded database
// stops answering, and when it answers again, until ctx ends. The messages
// go through the outbox, which holds them in memory while the database that
// normally keeps them is the one that is down.
func (s *Service) watchDatabase(ctx context.Context) {
	w := &jobs.Watch{DB: s.DB, Interval: s.Config.DBWatch}
	if s.metrics != nil {
		w.Checked = s.metrics.ObserveUp
	}
	w.Run(ctx, func(ev jobs.WatchEvent) {
		msg := render.Watch(ev, s.DB.Database(), s.DB.Host(), render.HTML)
		if ev.Down {
			s.Logger.Error("database unreachable", "since", ev.Since, "err", s.Redactor.String(ev.Error))
			s.capture("watch", "database", errors.New("database unreachable: "+ev.Error))
		} else {
			s.Logger.Info("database answers again", "down_for", ev.Lasted)
		}
		s.deliver(ctx, msg)
	})
}
