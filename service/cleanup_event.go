package service

import (
	"fmt"
	"time"

	"github.com/getsentry/sentry-go"

	"github.com/pgkeeper/pgkeeper/internal/redact"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// CleanupEvent sends a cleanup that deleted keys (or was held back by its
// guards) to Sentry as a message: a warning above CLEANUP_WARN_ROWS or when
// guarded, info otherwise, with the figures as context. Failed runs go as
// exceptions through Capture instead; runs that deleted nothing say nothing,
// and so does a nil hub.
func CleanupEvent(hub *sentry.Hub, red *redact.Redactor, trigger vocab.Trigger, r jobs.CleanupReport) {
	if hub == nil || !r.OK() || (r.Deleted == 0 && !r.Guarded && !r.Stopped) {
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
	hub = hub.Clone()
	hub.ConfigureScope(func(s *sentry.Scope) {
		s.SetLevel(level)
		s.SetTag("component", "cleanup")
		s.SetTag("operation", "cleanup")
		s.SetTag("trigger", trigger.Kind())
		// One issue per kind of run, not one per count of deleted keys.
		s.SetFingerprint([]string{"pgkeeper-cleanup", string(level), fmt.Sprint("guarded=", r.Guarded)})
		s.SetContext("cleanup", cleanupContext(trigger, r))
		s.SetContext("cleanup_by_type", byType)
	})
	hub.CaptureMessage(red.String(msg))
}

// cleanupContext is a cleanup's figures as Sentry shows them beside the event.
func cleanupContext(trigger vocab.Trigger, r jobs.CleanupReport) sentry.Context {
	return sentry.Context{
		// The trigger's kind only: who, by name, stays in /history.
		"run": r.Run, "trigger": trigger.Kind(), "table": r.Preview.Table.String(),
		"deleted": r.Deleted, "expected": r.Preview.ToDelete(),
		"warn_rows": r.WarnRows, "guarded": r.GuardReason, "stopped": r.Stopped, "batches": r.Batches,
		"duration_s": r.Duration.Seconds(), "rate_rows_per_s": r.Rate, "cutoff": r.Cutoff.UTC().Format(time.RFC3339),
		"table_bytes_before": r.Before.TableBytes, "table_bytes_after": r.After.TableBytes,
		"index_bytes_before": r.Before.IndexBytes, "index_bytes_after": r.After.IndexBytes,
		"total_bytes_before": r.Before.TotalBytes, "total_bytes_after": r.After.TotalBytes,
		"dead_tuples_before": r.Before.DeadTuples, "dead_tuples_after": r.After.DeadTuples,
		"vacuum": r.Vacuum.Ran, "undo_until": r.UndoExpiry.UTC().Format(time.RFC3339),
	}
}
