package service

import (
	"context"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// scheduledSummary sends the daily summary, then the trend charts.
func (s *Service) scheduledSummary(ctx context.Context, _ time.Duration) error {
	sum := &jobs.Summary{Status: s.Jobs.Status, History: s.History, BackupDir: s.Config.BackupDir,
		Retention: jobs.BackupConfigFrom(s.Config).Retention.InLocation(s.Config.Location)}
	rec := s.History.Start(ctx, vocab.JobSummary, vocab.TriggerSchedule)
	defer rec.EndIfPanicking(ctx)
	r := sum.Run(ctx)
	s.deliver(ctx, render.Summary(r, render.HTML))
	s.deliverTrends(ctx)
	rec.Finish(ctx, nil, "", nil)
	return nil
}

// deliverTrends sends the trend charts after the summary, through the outbox
// like every notification; a chart that cannot be drawn or queued as a photo
// goes as its figures in text.
func (s *Service) deliverTrends(ctx context.Context) {
	t, err := s.History.Trends(ctx, s.Config.Location)
	if err != nil {
		s.Logger.Warn("summary: no trend charts", "err", s.Redactor.Error(err))
		return
	}
	for _, p := range render.Trends(t, render.HTML) {
		if p.PNG != nil {
			// The figures ride in the caption: should Telegram refuse the
			// photo itself, the outbox's plain-text retry still says them.
			if err := s.Notifier.SendPhoto(ctx, p.PNG, s.headed(p.Text())); err == nil {
				continue
			}
		}
		s.deliver(ctx, p.Text())
	}
}
