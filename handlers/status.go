package handlers

import (
	"context"

	tele "gopkg.in/telebot.v3"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// Statuser builds a status report; it never fails, it reports.
type Statuser interface {
	Run(ctx context.Context) jobs.StatusReport
	// Brief is the report behind one line of the overview: cheaper, its
	// key counts possibly estimates.
	Brief(ctx context.Context) jobs.StatusReport
}

var _ Statuser = (*jobs.Status)(nil)

// Status answers /status with the report for a phone.
func Status(ctx context.Context, s Statuser) tele.HandlerFunc {
	return func(c tele.Context) error {
		_ = c.Notify(tele.Typing)
		return replyHTML(c, render.Status(s.Run(ctx), render.HTML))
	}
}
