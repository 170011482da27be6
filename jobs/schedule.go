package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"

	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// Scheduled is a job on a cron schedule. Run gets how long it waited for
// another heavy job, so its report can say so; it returns ErrAlreadyRunning
// (from the heavy-job lock) to be retried after a pause.
type Scheduled struct {
	Name string
	Cron string // five fields, in the scheduler's time zone; empty: off
	Run  func(ctx context.Context, waited time.Duration) error
	// Ready, when set, waits until this process can run the job now (a
	// free slot on its server) and returns how to give that back. The tick
	// is claimed only then, so that a busy instance leaves it to an idle
	// one, and run at once on that slot: a claimed tick is a started run.
	// While another process's heavy job makes the run wait, the slot is
	// given back, and taken again for the next attempt.
	Ready func(ctx context.Context) (release func(), err error)
}

// CheckIns tells a monitor (Sentry Crons) that a scheduled run started and
// how it ended, so a run that never happens raises an alarm elsewhere.
type CheckIns interface {
	Started(job, cron string, loc *time.Location) (id string)
	Finished(id, job string, err error, took time.Duration)
}

// SchedulerConfig configures a Scheduler.
type SchedulerConfig struct {
	Location  *time.Location
	Clock     clockwork.Clock // nil: the wall clock
	DB        *store.DB       // where instances claim runs; nil: this instance alone
	Schema    string
	Instance  string        // this process, in claims
	Slot      time.Duration // claim granularity (0: the schedule's, a minute for cron fields, D for @every D)
	WaitBound time.Duration // how long a heavy job waits for another before failing (0: DefaultLockWaitBound)
	Retry     time.Duration // pause between two tries while waiting (0: DefaultLockRetry)
	CheckIns  CheckIns      // nil: none
	// History records a run that gave up waiting for another heavy job (the
	// job itself records the run that happens; its retries record nothing).
	History *History
	// GaveUp is told of a run that never happened because another heavy
	// job held the lock past WaitBound: the alert chat must hear of a
	// missing backup. nil: logged only.
	GaveUp func(ctx context.Context, job string, err error)
	Logger *slog.Logger
}

// Scheduler runs Scheduled jobs. No job overlaps itself, and two instances
// against the same database never run the same slot twice.
type Scheduler struct {
	cfg   SchedulerConfig
	s     gocron.Scheduler
	jobs  map[string]gocron.Job
	crons map[string]string
}

// ParseCron checks a schedule: five cron fields, or a descriptor such as
// @daily or @every 30s.
func ParseCron(expr string) error {
	_, err := parseSchedule(expr)
	return err
}

// Interval is the time between two runs of expr after from.
func Interval(expr string, from time.Time) (time.Duration, error) {
	sched, err := parseSchedule(expr)
	if err != nil {
		return 0, err
	}
	a := sched.Next(from)
	return sched.Next(a).Sub(a), nil
}

// NextRun is expr's first run after from, in from's time zone.
func NextRun(expr string, from time.Time) (time.Time, error) {
	sched, err := parseSchedule(expr)
	if err != nil {
		return time.Time{}, err
	}
	return sched.Next(from), nil
}

// NewScheduler prepares (but does not start) the schedules.
func NewScheduler(ctx context.Context, cfg SchedulerConfig, jobs []Scheduled) (*Scheduler, error) {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	opts := []gocron.SchedulerOption{gocron.WithLocation(cfg.Location), gocron.WithClock(cfg.Clock)}
	if cfg.DB != nil {
		if err := cfg.DB.EnsureClaims(ctx, cfg.Schema); err != nil {
			return nil, err
		}
	}
	s, err := gocron.NewScheduler(opts...)
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	sc := &Scheduler{cfg: cfg, s: s, jobs: map[string]gocron.Job{}, crons: map[string]string{}}
	for _, j := range jobs {
		if j.Cron == "" {
			continue
		}
		sched, err := parseSchedule(j.Cron)
		if err != nil {
			return nil, fmt.Errorf("schedule of %s %q: %w", j.Name, j.Cron, err)
		}
		g := cfg.Slot
		if g == 0 {
			g = granularity(sched)
		}
		gj, err := s.NewJob(gocron.CronJob(j.Cron, false), gocron.NewTask(sc.task(j, g)),
			gocron.WithCronImplementation(&gocronSchedule{}),
			// The name is the claims' key: set it, never the function's.
			gocron.WithName(j.Name),
			gocron.WithSingletonMode(gocron.LimitModeReschedule),
			// Without a panic listener a panicking job kills the process.
			gocron.WithEventListeners(gocron.AfterJobRunsWithPanic(func(_ uuid.UUID, name string, r any) {
				cfg.Logger.Error("scheduled job panicked", "job", name, "panic", fmt.Sprint(r))
			})))
		if err != nil {
			return nil, fmt.Errorf("schedule %s: %w", j.Name, err)
		}
		sc.jobs[j.Name], sc.crons[j.Name] = gj, j.Cron
	}
	return sc, nil
}

// Start starts the clock ticking. Never call RunNow before it (gocron hangs).
func (s *Scheduler) Start() { s.s.Start() }

// Shutdown stops the schedules and cancels running jobs' contexts.
func (s *Scheduler) Shutdown() error { return s.s.Shutdown() }

// Next is a job's next run; false when it is not scheduled.
func (s *Scheduler) Next(name string) (time.Time, bool) {
	j, ok := s.jobs[name]
	if !ok {
		return time.Time{}, false
	}
	t, err := j.NextRun()
	return t, err == nil && !t.IsZero()
}

// Cron is a job's schedule; empty when it is off.
func (s *Scheduler) Cron(name string) string { return s.crons[name] }

// task wraps a job: claims its tick (whose length is g) so that one
// instance alone runs it, retries while another heavy job holds the lock
// (within the bound), recovers panics, and checks in with the monitor.
func (s *Scheduler) task(j Scheduled, g time.Duration) func(ctx context.Context) {
	return func(ctx context.Context) {
		start := s.cfg.Clock.Now()
		slot := slotAt(start, g)
		held := func() {}
		if j.Ready != nil {
			release, err := j.Ready(ctx)
			if err != nil {
				s.cfg.Logger.Info("scheduled job not run: no free slot", "job", j.Name, "err", err)
				return
			}
			held = release
		}
		defer func() {
			if held != nil {
				held()
			}
		}()
		if !s.claim(ctx, j.Name, slot) {
			return
		}
		// The run's history records which tick it is.
		ctx = withSlot(ctx, slot)
		var id string
		if s.cfg.CheckIns != nil {
			id = s.cfg.CheckIns.Started(j.Name, j.Cron, s.cfg.Location)
		}
		err := s.runWaiting(ctx, j, s.cfg.Clock.Since(start), &held)
		if errors.Is(err, context.Canceled) {
			s.cfg.Logger.Info("scheduled job cancelled by shutdown", "job", j.Name)
		} else if err != nil {
			s.cfg.Logger.Error("scheduled job failed", "job", j.Name, "err", err)
		}
		if s.cfg.CheckIns != nil {
			s.cfg.CheckIns.Finished(id, j.Name, err, s.cfg.Clock.Since(start))
		}
	}
}

// runWaiting runs j, waiting for another heavy job within the bound; held
// gives back the slot j.Ready took (nil after it was given back).
func (s *Scheduler) runWaiting(ctx context.Context, j Scheduled, readied time.Duration, held *func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in scheduled %s: %v", j.Name, r)
		}
	}()
	err = LockWait{Clock: s.cfg.Clock, Retry: s.cfg.Retry, WaitBound: s.cfg.WaitBound}.Run(ctx, func(ctx context.Context, waited time.Duration) error {
		if *held == nil {
			release, err := j.Ready(ctx)
			if err != nil {
				return err
			}
			*held = release
		}
		err := j.Run(ctx, readied+waited)
		if errors.Is(err, ErrAlreadyRunning) && j.Ready != nil {
			(*held)()
			*held = nil
		}
		return err
	})
	if errors.Is(err, ErrAlreadyRunning) {
		// A scheduled run that never happened is a failure, not a skip:
		// a backup is missing because of it.
		// The history is the database's own: it records the job ("backup"
		// of "backup:crm", a name serve gives when it guards several).
		job, _, _ := strings.Cut(j.Name, ":")
		s.cfg.History.Start(ctx, job, vocab.TriggerSchedule).Finish(ctx, nil, vocab.OutcomeFailed, err)
		if s.cfg.GaveUp != nil {
			s.cfg.GaveUp(ctx, job, err)
		}
	}
	return err
}

// claim takes job's tick in the database all instances share: true for
// the one instance that runs it. Without a database this instance is alone.
// A claim outlives its instance on purpose: a tick whose runner died is
// not run again (its run is found abandoned); the next tick is a new claim.
func (s *Scheduler) claim(ctx context.Context, job string, slot time.Time) bool {
	if s.cfg.DB == nil {
		return true
	}
	ok, err := s.cfg.DB.Claim(ctx, s.cfg.Schema, job, slot, s.cfg.Instance)
	if err != nil {
		s.cfg.Logger.Error("scheduled job not run: its tick could not be claimed", "job", job, "slot", slot, "err", err)
		return false
	}
	if !ok {
		s.cfg.Logger.Debug("scheduled job claimed by another instance", "job", job, "slot", slot)
	}
	return ok
}

// Once claims key at slot for a run no schedule makes (a catch-up): true
// for the one instance that should run it. Without a database, always true.
func (s *Scheduler) Once(ctx context.Context, key string, slot time.Time) (bool, error) {
	if s.cfg.DB == nil {
		return true, nil
	}
	return s.cfg.DB.Claim(ctx, s.cfg.Schema, key, slot, s.cfg.Instance)
}
