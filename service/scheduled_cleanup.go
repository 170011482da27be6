package service

import (
	"context"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// scheduledCleanup runs the guarded cleanup for the schedule. Nobody confirmed
// it, so above CLEANUP_MAX_ROWS or CLEANUP_MAX_SHARE it deletes nothing and
// asks instead: the preview with buttons (Offerer), or a plain notice when
// the bot cannot post them. Otherwise it reports like a scheduled backup:
// failures always, successes as NOTIFY_SUCCESS says.
func (s *Service) scheduledCleanup(ctx context.Context, waited time.Duration) error {
	r, err := s.Jobs.Cleanup.Run(ctx, jobs.CleanupOptions{Trigger: vocab.TriggerSchedule}, nil)
	prefix := render.Waited(waited)
	if err == nil && r.Guarded {
		s.askCleanup(ctx, prefix, r)
		return nil
	}
	return s.reportScheduled(ctx, vocab.JobCleanup, prefix, err,
		render.Cleanup(r, render.HTML), render.CleanupBrief(r), r.Level() != jobs.LevelOK)
}

// askCleanup hands a held-back cleanup to a person: why it deleted nothing,
// the exact preview, and the buttons.
func (s *Service) askCleanup(ctx context.Context, prefix string, r jobs.CleanupReport) {
	msg := prefix + render.CleanupHeld(r.GuardReason, s.Config.ConfirmTTL, render.CleanupPreview(r.Preview, render.HTML))
	if s.Offerer != nil {
		err := s.Offerer.OfferCleanup(ctx, msg, r.Preview.ToDelete())
		if err == nil {
			return
		}
		s.Logger.Warn("could not post the cleanup's buttons; sending a plain notice", "err", s.Redactor.Error(err))
	}
	s.deliver(ctx, msg+render.CleanupHeldNoButtons)
}
