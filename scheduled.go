package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"os"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/internal/render"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
)

// storeRun is a recorded run, for /schedule.
type storeRun = store.Run

// scheduledNames are the jobs /schedule lists, scheduled or off.
var scheduledNames = []string{"backup", "cleanup", "restore_test", "summary"}

// scheduler builds the schedules from the configuration.
func (a *app) scheduler(ctx context.Context, notify func(context.Context, string) error, offer cleanupOffer) (*jobs.Scheduler, error) {
	host, _ := os.Hostname()
	cfg := jobs.SchedulerConfig{Location: a.cfg.Location, Schema: a.cfg.Schema, Instance: fmt.Sprintf("%s:%d", host, os.Getpid()), Logger: a.log}
	if a.hist != nil {
		// Claims live in pgkeeper's schema, which history() migrated.
		cfg.DB, cfg.History = a.db, a.hist
	}
	if a.hub != nil {
		cfg.CheckIns = sentryCheckIns{hub: a.hub}
	}
	cfg.GaveUp = func(ctx context.Context, job string, err error) {
		a.capture(jobs.TriggerSchedule)(job, err)
		a.deliver(ctx, notify, "🔴 <b>Scheduled "+html.EscapeString(job)+" did not run</b>: "+html.EscapeString(a.red.String(err.Error())))
	}
	return jobs.NewScheduler(ctx, cfg, []jobs.Scheduled{
		{Name: "backup", Cron: a.cfg.BackupSchedule, Run: a.sampled(a.scheduledBackup(notify, ""))},
		{Name: "cleanup", Cron: a.cfg.CleanupSchedule, Run: a.sampled(a.scheduledCleanup(notify, offer))},
		{Name: "restore_test", Cron: a.cfg.RestoreSchedule, Run: a.sampled(a.scheduledRestoreTest(notify))},
		// The summary takes a whole status report, which samples the sizes.
		{Name: "summary", Cron: a.cfg.SummarySchedule, Run: a.scheduledSummary(notify)},
	})
}

// sampled stores the database's and keys table's sizes after each run of a
// scheduled job, whatever its outcome, so the trend charts get a point a run
// even when nobody asks for /status. An attempt that found another heavy job
// running did not run: it is retried, and sampled when it does.
func (a *app) sampled(run func(context.Context, time.Duration) error) func(context.Context, time.Duration) error {
	return func(ctx context.Context, waited time.Duration) error {
		err := run(ctx, waited)
		if !errors.Is(err, jobs.ErrAlreadyRunning) {
			a.statusJob().Sample(ctx)
		}
		return err
	}
}

// waitedNote says that a scheduled run waited for another heavy job.
func waitedNote(waited time.Duration) string {
	if waited < time.Second {
		return ""
	}
	return fmt.Sprintf("⏳ waited %s for another job to finish\n", humanize.Duration(waited))
}

// scheduledBackup runs the backup for the schedule (or the catch-up, with a
// note saying why) and tells the chat: failures always, successes as
// NOTIFY_SUCCESS says.
func (a *app) scheduledBackup(notify func(context.Context, string) error, note string) func(context.Context, time.Duration) error {
	return func(ctx context.Context, waited time.Duration) error {
		r, err := a.backupJob().Run(ctx, jobs.BackupOptions{Trigger: jobs.TriggerSchedule}, nil)
		if cerr := r.CopyError(); cerr != nil {
			// A good backup whose copy off the machine failed: the report
			// says so in the chat; Sentry hears of it as a failure too.
			a.capture(jobs.TriggerSchedule)("backup copy", cerr)
		}
		return a.reportScheduled(ctx, notify, "backup", note+waitedNote(waited), err,
			render.Backup(r, render.HTML), render.BackupBrief(r), len(r.Warnings) > 0)
	}
}

// reportScheduled tells the chat how a scheduled run ended: a failure always
// (and Sentry), a success as NOTIFY_SUCCESS says. A run that found another
// heavy job running says nothing: the scheduler waits and tries again.
func (a *app) reportScheduled(ctx context.Context, notify func(context.Context, string) error, job, prefix string, err error,
	full, brief string, warned bool) error {
	if errors.Is(err, jobs.ErrAlreadyRunning) {
		return err
	}
	if err != nil {
		a.capture(jobs.TriggerSchedule)(job, err)
		a.deliver(ctx, notify, prefix+full)
		return err
	}
	a.notifySuccess(ctx, notify, prefix, brief, full, warned)
	return nil
}

// scheduledSummary sends the daily summary.
func (a *app) scheduledSummary(notify func(context.Context, string) error) func(context.Context, time.Duration) error {
	return func(ctx context.Context, _ time.Duration) error {
		s := &jobs.Summary{Status: a.statusJob(), History: a.hist, BackupDir: a.cfg.BackupDir,
			Retention: jobs.Retention{KeepDaily: a.cfg.KeepDaily, KeepMonthly: a.cfg.KeepMonthly}}
		rec := a.hist.Start(ctx, "summary", jobs.TriggerSchedule)
		defer rec.EndIfPanicking(ctx)
		r := s.Run(ctx)
		a.deliver(ctx, notify, render.Summary(r, render.HTML))
		a.deliverTrends(ctx, notify)
		rec.Finish(ctx, nil, "", nil)
		return nil
	}
}

// deliverTrends sends the trend charts after the summary, through the outbox
// like every notification; a chart that cannot be drawn or queued as a photo
// goes as its figures in text.
func (a *app) deliverTrends(ctx context.Context, notify func(context.Context, string) error) {
	t, err := a.hist.Trends(ctx, a.cfg.Location)
	if err != nil {
		a.log.Warn("summary: no trend charts", "err", a.red.Error(err))
		return
	}
	for _, p := range render.Trends(t, render.HTML) {
		if p.PNG != nil && a.sendPhoto != nil {
			// The figures ride in the caption: should Telegram refuse the
			// photo itself, the outbox's plain-text retry still says them.
			if err := a.sendPhoto(ctx, p.PNG, p.Text()); err == nil {
				continue
			}
		}
		a.deliver(ctx, notify, p.Text())
	}
}

// notifySuccess tells the chat a scheduled run succeeded, as briefly as
// NOTIFY_SUCCESS asks; a run with warnings always speaks in full.
func (a *app) notifySuccess(ctx context.Context, notify func(context.Context, string) error, prefix, brief, full string, warned bool) {
	switch {
	case warned || a.cfg.NotifySuccess == "full":
		a.deliver(ctx, notify, prefix+full)
	case a.cfg.NotifySuccess == "brief":
		a.deliver(ctx, notify, prefix+brief)
	}
}

func (a *app) deliver(ctx context.Context, notify func(context.Context, string) error, html string) {
	if err := notify(ctx, html); err != nil {
		a.log.Error("could not queue a notification", "err", a.red.Error(err))
	}
}

// catchUp runs a backup at start when the newest verified one is older than
// one backup interval plus an hour: pgkeeper was down when one was due.
func (a *app) catchUp(ctx context.Context, notify func(context.Context, string) error) {
	if a.cfg.BackupSchedule == "" {
		return
	}
	now := time.Now()
	interval, err := jobs.Interval(a.cfg.BackupSchedule, now.In(a.cfg.Location))
	if err != nil {
		return
	}
	l, _ := a.catalog().List(ctx)
	list := l.Backups
	var why string
	switch {
	case len(list) == 0:
		why = "no verified backup exists"
	case now.Sub(list[0].Start) > interval+time.Hour:
		why = fmt.Sprintf("the newest backup is %s old, more than the %s between scheduled backups",
			humanize.Duration(now.Sub(list[0].Start)), humanize.Duration(interval))
	default:
		return
	}
	a.log.Info("catch-up backup", "why", why)
	note := "↻ Catch-up backup at start: " + why + ".\n"
	// Another heavy job may hold the lock: wait for it as the schedule does.
	_ = jobs.LockWait{}.Run(ctx, a.sampled(a.scheduledBackup(notify, note)))
}
