package handlers

import (
	"context"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// HistoryReader reads the last job runs.
type HistoryReader interface {
	Report(ctx context.Context, limit int) (jobs.HistoryReport, error)
}

var _ HistoryReader = (*jobs.History)(nil)

// History answers /history with the last 15 runs.
func History(ctx context.Context, h HistoryReader) tele.HandlerFunc {
	return func(c tele.Context) error {
		r, err := h.Report(ctx, 15)
		if err != nil {
			return err
		}
		return replyHTML(c, render.History(r, render.HTML))
	}
}

// ScheduleReader lists the scheduled jobs with their next and last runs.
type ScheduleReader func(ctx context.Context) ([]render.ScheduleEntry, *time.Location)

// Schedule answers /schedule.
func Schedule(ctx context.Context, read ScheduleReader) tele.HandlerFunc {
	return func(c tele.Context) error {
		entries, loc := read(ctx)
		return replyHTML(c, render.Schedule(entries, loc, time.Now(), render.HTML))
	}
}
