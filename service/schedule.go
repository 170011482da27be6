package service

import (
	"context"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/config"
	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// Schedule backs /schedule: each job's schedule and next run, from the
// configuration (the scheduler runs the same expressions), and its last run
// from the history. It needs no running scheduler, so the bot that shows it
// can be built before the scheduler that posts through the bot.
func Schedule(cfg config.Config, hist *jobs.History) func(ctx context.Context) ([]render.ScheduleEntry, *time.Location) {
	crons := map[string]string{vocab.JobBackup: cfg.BackupSchedule, vocab.JobCleanup: cfg.CleanupSchedule,
		vocab.JobRestoreTest: cfg.RestoreSchedule, vocab.JobSummary: cfg.SummarySchedule}
	return func(ctx context.Context) ([]render.ScheduleEntry, *time.Location) {
		var last map[string]vocab.Run
		if hist != nil {
			last, _ = hist.LastRuns(ctx)
		}
		now := time.Now().In(cfg.Location)
		var out []render.ScheduleEntry
		for _, name := range scheduledNames {
			e := render.ScheduleEntry{Job: name, Cron: crons[name]}
			if e.Cron != "" {
				e.Next, _ = jobs.NextRun(e.Cron, now)
			}
			if r, ok := last[name]; ok {
				e.Last = &r
			}
			out = append(out, e)
		}
		return out, cfg.Location
	}
}
