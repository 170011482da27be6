package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/pgkeeper/pgkeeper/vocab"
)

// RecordedCleanup is a Cleanup whose every run and undo, whatever triggered
// it, is recorded in the history with its figures, and then handed to
// AfterRun (Sentry, for one).
type RecordedCleanup struct {
	*Cleanup
	History *History
	Via     vocab.Trigger // trigger recorded for undos, which carry none: "chat", "shell"
	// AfterRun hears of every run that was not retried; nil: nobody.
	AfterRun func(trigger vocab.Trigger, r CleanupReport)
}

// cleanupFigures is what history keeps of a cleanup run.
type cleanupFigures struct {
	Run        string        `json:"run,omitempty"`
	Deleted    int64         `json:"deleted"`
	ByType     []TypeCount   `json:"by_type,omitempty"`
	Duration   time.Duration `json:"duration_ns"`
	Rate       float64       `json:"rate,omitempty"`
	Guarded    string        `json:"guarded,omitempty"`
	Stopped    bool          `json:"stopped,omitempty"`
	TotalAfter int64         `json:"total_bytes_after,omitempty"`
	FailedAt   string        `json:"failed_at,omitempty"`
}

// Run runs the cleanup, records it and hands it to AfterRun.
func (c RecordedCleanup) Run(ctx context.Context, opts CleanupOptions, progress func(CleanupProgress)) (CleanupReport, error) {
	rec := c.History.Start(ctx, vocab.JobCleanup, opts.Trigger)
	defer rec.EndIfPanicking(ctx)
	r, err := c.Cleanup.Run(ctx, opts, progress)
	if Retried(err, opts.Trigger) {
		rec.Discard(ctx) // the scheduler retries, and records the chain once
		return r, err
	}
	// The report's level, not only err: a stopped or guarded run is no plain
	// success. A busy lock is recorded as skipped (outcome from err).
	outcome := OutcomeOf(r.Level())
	if errors.Is(err, ErrAlreadyRunning) {
		outcome = ""
	}
	rec.Finish(ctx, cleanupFigures{Run: r.Run, Deleted: r.Deleted, ByType: r.DeletedByType, Duration: r.Duration, Rate: r.Rate,
		Guarded: r.GuardReason, Stopped: r.Stopped, TotalAfter: r.After.TotalBytes, FailedAt: r.FailedAt}, outcome, err)
	if c.AfterRun != nil {
		c.AfterRun(opts.Trigger, r)
	}
	return r, err
}

// Undo puts a cleanup's rows back, recorded in the history.
func (c RecordedCleanup) Undo(ctx context.Context, run string) (UndoReport, error) {
	rec := c.History.Start(ctx, vocab.JobCleanupUndo, c.Via)
	defer rec.EndIfPanicking(ctx)
	r, err := c.Cleanup.Undo(ctx, run)
	rec.Finish(ctx, map[string]any{"run": r.Run, "restored": r.Restored, "skipped": r.Skipped, "unchanged": r.Unchanged}, "", err)
	return r, err
}
