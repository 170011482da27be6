package main

import (
	"context"
	"html"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/internal/render"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// cleanupOffer posts a held-back cleanup's preview with [Delete N keys]
// [Cancel] to the alert chat; an error means it did not get there.
type cleanupOffer func(ctx context.Context, html string, toDelete int64) error

// scheduledCleanup runs the guarded cleanup for the schedule. Nobody confirmed
// it, so above CLEANUP_MAX_ROWS or CLEANUP_MAX_SHARE it deletes nothing and
// asks instead: the preview with buttons (offer), or a plain notice when the
// bot cannot post them. Otherwise it reports like a scheduled backup:
// failures always, successes as NOTIFY_SUCCESS says.
func (a *app) scheduledCleanup(notify func(context.Context, string) error, offer cleanupOffer) func(context.Context, time.Duration) error {
	return func(ctx context.Context, waited time.Duration) error {
		r, err := a.cleanupJob(a.cfg.CleanupBatchSize, vocab.TriggerSchedule).Run(ctx, jobs.CleanupOptions{Trigger: vocab.TriggerSchedule}, nil)
		prefix := waitedNote(waited)
		if err == nil && r.Guarded {
			a.askCleanup(ctx, notify, offer, prefix, r)
			return nil
		}
		return a.reportScheduled(ctx, notify, "cleanup", prefix, err,
			render.Cleanup(r, render.HTML), render.CleanupBrief(r), r.Level() != jobs.LevelOK)
	}
}

// askCleanup hands a held-back cleanup to a person: why it deleted nothing,
// the exact preview, and the buttons.
func (a *app) askCleanup(ctx context.Context, notify func(context.Context, string) error, offer cleanupOffer, prefix string, r jobs.CleanupReport) {
	why := prefix + "⚠️ <b>Scheduled cleanup deleted nothing</b>: " + html.EscapeString(r.GuardReason) +
		". An unconfirmed run stops there; an admin decides. The buttons work for " +
		humanize.Duration(a.cfg.ConfirmTTL) + "; after that, run /cleanup.\n\n"
	msg := why + render.CleanupPreview(r.Preview, render.HTML)
	if offer != nil {
		err := offer(ctx, msg, r.Preview.ToDelete())
		if err == nil {
			return
		}
		a.log.Warn("could not post the cleanup's buttons; sending a plain notice", "err", a.red.Error(err))
	}
	a.deliver(ctx, notify, msg+"\n\nRun /cleanup to review.")
}
