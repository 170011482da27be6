package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/getsentry/sentry-go"

	"github.com/pgkeeper/pgkeeper/handlers"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// observedCleanup is the cleanup job as every trigger runs it: each run and
// undo recorded in the history, and each run that deleted (or was held back)
// reported to Sentry. jobs.Cleanup itself knows neither.
type observedCleanup struct {
	*jobs.Cleanup
	a   *app
	via vocab.Trigger // trigger recorded for undos, which carry none: "chat", "shell"
}

var _ handlers.Cleaner = observedCleanup{}

// cleanupJob is the cleanup job configured from the environment.
func (a *app) cleanupJob(batch int, via vocab.Trigger) observedCleanup {
	return observedCleanup{Cleanup: &jobs.Cleanup{DB: a.db, Config: a.cleanupConfig(batch)}, a: a, via: via}
}

// cleanupFigures is what history keeps of a cleanup run.
type cleanupFigures struct {
	Run        string           `json:"run,omitempty"`
	Deleted    int64            `json:"deleted"`
	ByType     []jobs.TypeCount `json:"by_type,omitempty"`
	Duration   time.Duration    `json:"duration_ns"`
	Rate       float64          `json:"rate,omitempty"`
	Guarded    string           `json:"guarded,omitempty"`
	Stopped    bool             `json:"stopped,omitempty"`
	TotalAfter int64            `json:"total_bytes_after,omitempty"`
	FailedAt   string           `json:"failed_at,omitempty"`
}

// Run runs the cleanup, records it and reports it to Sentry.
func (c observedCleanup) Run(ctx context.Context, opts jobs.CleanupOptions, progress func(jobs.CleanupProgress)) (jobs.CleanupReport, error) {
	rec := c.a.hist.Start(ctx, "cleanup", opts.Trigger)
	defer rec.EndIfPanicking(ctx)
	r, err := c.Cleanup.Run(ctx, opts, progress)
	if jobs.Retried(err, opts.Trigger) {
		rec.Discard(ctx) // the scheduler retries, and records the chain once
		return r, err
	}
	// The report's level, not only err: a stopped or guarded run is no plain
	// success. A busy lock is recorded as skipped (outcome from err).
	outcome := jobs.OutcomeOf(r.Level())
	if errors.Is(err, jobs.ErrAlreadyRunning) {
		outcome = ""
	}
	rec.Finish(ctx, cleanupFigures{Run: r.Run, Deleted: r.Deleted, ByType: r.DeletedByType, Duration: r.Duration, Rate: r.Rate,
		Guarded: r.GuardReason, Stopped: r.Stopped, TotalAfter: r.After.TotalBytes, FailedAt: r.FailedAt}, outcome, err)
	c.a.cleanupEvent(opts.Trigger, r)
	return r, err
}

// Undo puts a cleanup's rows back, recorded in the history.
func (c observedCleanup) Undo(ctx context.Context, run string) (jobs.UndoReport, error) {
	rec := c.a.hist.Start(ctx, "cleanup_undo", c.via)
	defer rec.EndIfPanicking(ctx)
	r, err := c.Cleanup.Undo(ctx, run)
	rec.Finish(ctx, map[string]any{"run": r.Run, "restored": r.Restored, "skipped": r.Skipped}, "", err)
	return r, err
}

// cleanupEvent sends a cleanup that deleted keys (or was held back by its
// guards) to Sentry as a message: a warning above CLEANUP_WARN_ROWS or when
// guarded, info otherwise, with the figures as context. Failed runs go as
// exceptions through capture instead; runs that deleted nothing say nothing.
func (a *app) cleanupEvent(trigger vocab.Trigger, r jobs.CleanupReport) {
	if a.hub == nil || !r.OK() || (r.Deleted == 0 && !r.Guarded && !r.Stopped) {
		return
	}
	level, msg := sentry.LevelInfo, fmt.Sprintf("cleanup deleted %d keys", r.Deleted)
	if r.OverWarnRows() {
		level = sentry.LevelWarning
		msg = fmt.Sprintf("cleanup deleted %d keys, over CLEANUP_WARN_ROWS (%d)", r.Deleted, r.WarnRows)
	}
	if r.Guarded {
		level, msg = sentry.LevelWarning, "scheduled cleanup held back: "+r.GuardReason
	}
	byType := sentry.Context{}
	for _, t := range r.DeletedByType {
		byType[t.Type] = t.Rows
	}
	hub := a.hub.Clone()
	hub.ConfigureScope(func(s *sentry.Scope) {
		s.SetLevel(level)
		s.SetTag("component", "cleanup")
		s.SetTag("operation", "cleanup")
		s.SetTag("trigger", trigger.Kind())
		// One issue per kind of run, not one per count of deleted keys.
		s.SetFingerprint([]string{"pgkeeper-cleanup", string(level), fmt.Sprint("guarded=", r.Guarded)})
		s.SetContext("cleanup", sentry.Context{
			// The trigger's kind only: who, by name, stays in /history.
			"run": r.Run, "trigger": trigger.Kind(), "table": r.Preview.Table.String(), "deleted": r.Deleted, "expected": r.Preview.ToDelete(),
			"warn_rows": r.WarnRows, "guarded": r.GuardReason, "stopped": r.Stopped, "batches": r.Batches,
			"duration_s": r.Duration.Seconds(), "rate_rows_per_s": r.Rate, "cutoff": r.Cutoff.UTC().Format(time.RFC3339),
			"table_bytes_before": r.Before.TableBytes, "table_bytes_after": r.After.TableBytes,
			"index_bytes_before": r.Before.IndexBytes, "index_bytes_after": r.After.IndexBytes,
			"total_bytes_before": r.Before.TotalBytes, "total_bytes_after": r.After.TotalBytes,
			"dead_tuples_before": r.Before.DeadTuples, "dead_tuples_after": r.After.DeadTuples,
			"vacuum": r.Vacuum.Ran, "undo_until": r.UndoExpiry.UTC().Format(time.RFC3339),
		})
		s.SetContext("cleanup_by_type", byType)
	})
	hub.CaptureMessage(a.red.String(msg))
}
