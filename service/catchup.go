package service

import (
	"context"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// catchUp runs a backup at start when the newest verified one is older than
// one backup interval plus an hour: pgkeeper was down when one was due.
// Instances that start together catch up once: they claim the catch-up
// after that newest backup (or after none), and the first one runs it.
func (s *Service) catchUp(ctx context.Context, sched *jobs.Scheduler) {
	if s.Config.BackupSchedule == "" {
		return
	}
	now := time.Now()
	interval, err := jobs.Interval(s.Config.BackupSchedule, now.In(s.Config.Location))
	if err != nil {
		return
	}
	l, _ := s.Jobs.Catalog.List(ctx)
	list := l.Backups
	var why string
	switch {
	case len(list) == 0:
		why = render.CatchUpNone
	case now.Sub(list[0].Start) > interval+time.Hour:
		why = render.CatchUpOld(now.Sub(list[0].Start), interval)
	default:
		return
	}
	after := time.Unix(0, 0)
	if len(list) > 0 {
		after = list[0].Start
	}
	if ok, err := sched.Once(ctx, "catchup:"+s.jobName(vocab.JobBackup), after); err != nil || !ok {
		s.Logger.Info("catch-up backup left to another instance", "why", why, "err", err)
		return
	}
	s.Logger.Info("catch-up backup", "why", why)
	// Another heavy job may hold the lock: wait for it as the schedule does.
	_ = jobs.LockWait{}.Run(ctx, s.heavy(s.sampled(s.scheduledBackup(render.CatchUp(why)))))
}
