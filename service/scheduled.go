package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/internal/slots"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// scheduledNames are the jobs /schedule lists, scheduled or off.
var scheduledNames = []string{"backup", "cleanup", "restore_test", "summary"}

// scheduler builds the schedules from the configuration.
func (s *Service) scheduler(ctx context.Context) (*jobs.Scheduler, error) {
	host, _ := os.Hostname()
	cfg := jobs.SchedulerConfig{Location: s.Config.Location, Schema: s.Config.Schema,
		Instance: fmt.Sprintf("%s:%d", host, os.Getpid()), Logger: s.Logger, Clock: s.Clock}
	if s.History != nil {
		// Claims live in pgkeeper's schema, which serve prepared.
		cfg.DB, cfg.History = s.DB, s.History
	}
	if s.Hub != nil {
		cfg.CheckIns = sentryCheckIns{hub: s.Hub}
	}
	cfg.GaveUp = func(ctx context.Context, job string, err error) {
		s.capture(vocab.TriggerSchedule, job, err)
		s.deliver(ctx, render.GaveUp(job, s.Redactor.String(err.Error())))
	}
	return jobs.NewScheduler(ctx, cfg, []jobs.Scheduled{
		// A heavy job claims its tick once its server has a free slot here
		// (BACKUP_PARALLEL), and runs on it: an instance busy with other
		// databases leaves the tick to an idle one.
		{Name: s.jobName(vocab.JobBackup), Cron: s.Config.BackupSchedule, Run: s.sampled(s.scheduledBackup("")), Ready: s.freeSlot},
		{Name: s.jobName(vocab.JobCleanup), Cron: s.Config.CleanupSchedule, Run: s.sampled(s.scheduledCleanup), Ready: s.freeSlot},
		{Name: s.jobName(vocab.JobRestoreTest), Cron: s.Config.RestoreSchedule, Run: s.sampled(s.scheduledRestoreTest), Ready: s.freeSlot},
		// The summary takes a whole status report, which samples the sizes.
		{Name: s.jobName(vocab.JobSummary), Cron: s.Config.SummarySchedule, Run: s.scheduledSummary},
	})
}

// jobName is a scheduled job's name, which gocron locks on and Sentry
// Crons monitors: "backup", or "backup:crm" when serve guards several
// databases, so that one database's run never stands for another's.
func (s *Service) jobName(job string) string {
	if s.Name == "" {
		return job
	}
	return job + ":" + s.Name
}

// freeSlot waits for a free slot on the database's server (BACKUP_PARALLEL
// across the databases this serve guards there, then across every pgkeeper
// process on that server).
func (s *Service) freeSlot(ctx context.Context) (func(), error) {
	release, err := s.Slots.TakeAcross(ctx, s.Server, s.across())
	if err != nil {
		return nil, fmt.Errorf("waiting for a free slot on %s (BACKUP_PARALLEL): %w", s.Server, err)
	}
	return release, nil
}

// heavy runs a heavy job once its server has a free slot (freeSlot); the
// wait counts as waited.
func (s *Service) heavy(run func(context.Context, time.Duration) error) func(context.Context, time.Duration) error {
	return func(ctx context.Context, waited time.Duration) error {
		start := time.Now()
		release, err := s.freeSlot(ctx)
		if err != nil {
			return err
		}
		defer release()
		return run(ctx, waited+time.Since(start))
	}
}

// across is the server-wide slot (shared with other pgkeeper processes on
// the database's server), taken only when serve guards several databases
// (Slots set): a serve of one database runs exactly as it always has.
func (s *Service) across() slots.Across {
	if s.Slots == nil || s.DB == nil {
		return nil
	}
	return s.DB.ServerSlot
}

// sampled stores the database's and keys table's sizes after each run of a
// scheduled job, whatever its outcome, so the trend charts get a point a run
// even when nobody asks for /status. An attempt that found another heavy job
// running did not run: it is retried, and sampled when it does.
func (s *Service) sampled(run func(context.Context, time.Duration) error) func(context.Context, time.Duration) error {
	return func(ctx context.Context, waited time.Duration) error {
		err := run(ctx, waited)
		if !errors.Is(err, jobs.ErrAlreadyRunning) {
			s.Jobs.Status.Sample(ctx)
		}
		return err
	}
}

// scheduledBackup runs the backup for the schedule (or the catch-up, with a
// note saying why) and tells the chat: failures always, successes as
// NOTIFY_SUCCESS says.
func (s *Service) scheduledBackup(note string) func(context.Context, time.Duration) error {
	return func(ctx context.Context, waited time.Duration) error {
		r, err := s.Jobs.Backup.Run(ctx, jobs.BackupOptions{Trigger: vocab.TriggerSchedule}, nil)
		return s.reportBackup(ctx, note+render.Waited(waited), r, err)
	}
}

// reportBackup tells the chat and Sentry how a scheduled backup ended. A
// good backup whose copy off the machine, or to a remote, failed is a
// failure to report: Sentry hears of it (naming the remote), and the chat
// gets the full report, which opens with it, whatever NOTIFY_SUCCESS says.
func (s *Service) reportBackup(ctx context.Context, prefix string, r jobs.BackupReport, err error) error {
	if cerr := r.CopyError(); cerr != nil {
		s.capture(vocab.TriggerSchedule, "backup copy", cerr)
	}
	rerr := r.RemoteError()
	if rerr != nil {
		s.capture(vocab.TriggerSchedule, "backup remote", rerr)
	}
	return s.reportScheduled(ctx, vocab.JobBackup, prefix, err,
		render.Backup(r, render.HTML), render.BackupBrief(r), len(r.Warnings) > 0 || rerr != nil)
}

// reportScheduled tells the chat how a scheduled run ended: a failure always
// (and Sentry), a success as NOTIFY_SUCCESS says. A run that found another
// heavy job running says nothing: the scheduler waits and tries again.
func (s *Service) reportScheduled(ctx context.Context, job, prefix string, err error, full, brief string, warned bool) error {
	if errors.Is(err, jobs.ErrAlreadyRunning) {
		return err
	}
	if err != nil {
		s.capture(vocab.TriggerSchedule, job, err)
		s.deliver(ctx, prefix+full)
		return err
	}
	s.notifySuccess(ctx, prefix, brief, full, warned)
	return nil
}

// notifySuccess tells the chat a scheduled run succeeded, as briefly as
// NOTIFY_SUCCESS asks; a run with warnings always speaks in full.
func (s *Service) notifySuccess(ctx context.Context, prefix, brief, full string, warned bool) {
	switch {
	case warned || s.Config.NotifySuccess == "full":
		s.deliver(ctx, prefix+full)
	case s.Config.NotifySuccess == "brief":
		s.deliver(ctx, prefix+brief)
	}
}
