package service

import (
	"context"
	"sync"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
)

// Start starts the schedules, the catch-up backup and the database watch,
// each until ctx ends; wg counts the goroutines it starts. stop shuts the
// schedules down (their running jobs are cancelled). The error is a schedule
// that could not be set up; nothing runs then.
func (s *Service) Start(ctx context.Context, wg *sync.WaitGroup) (stop func(), err error) {
	sched, err := s.scheduler(ctx)
	if err != nil {
		return nil, err
	}
	sched.Start()
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.catchUp(ctx, sched)
	}()
	if s.Config.DBWatch > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.watchDatabase(ctx)
		}()
	}
	return func() {
		if err := sched.Shutdown(); err != nil {
			s.Logger.Warn("scheduler shutdown", "err", err)
		}
	}, nil
}

// DegradedStart tells Sentry and the alert chat that serve started without
// its database after waiting for it since started.
func (s *Service) DegradedStart(ctx context.Context, started time.Time, err error) {
	s.capture("serve", "start", err)
	s.deliver(ctx, render.DegradedStart(s.Config.Schema, time.Since(started), s.Redactor.String(err.Error())))
}

// NotGuarded tells Sentry and the alert chat that this database is not
// guarded: its schedules could not be set up.
func (s *Service) NotGuarded(ctx context.Context, err error) {
	s.capture("serve", "start", err)
	s.deliver(ctx, render.NotGuarded(s.Redactor.String(err.Error())))
}
