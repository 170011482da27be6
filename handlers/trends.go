package handlers

import (
	"bytes"
	"context"
	"fmt"

	tele "gopkg.in/telebot.v3"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// TrendsReader reads the last 30 days of samples for the trend charts.
type TrendsReader func(ctx context.Context) (jobs.TrendsReport, error)

// Trends answers /trends with the charts as photos; a chart that cannot be
// sent (or drawn) goes as its figures in text instead.
func Trends(ctx context.Context, read TrendsReader) tele.HandlerFunc {
	return func(c tele.Context) error {
		_ = c.Notify(tele.UploadingPhoto)
		r, err := read(ctx)
		if err != nil {
			return err
		}
		for _, p := range render.Trends(r, render.HTML) {
			if p.PNG != nil && sendPhoto(c, p) == nil {
				continue
			}
			if err := replyHTML(c, p.Text()); err != nil {
				return err
			}
		}
		return nil
	}
}

// sendPhoto sends p's chart. telebot dereferences the photo sizes of the
// answer without checking them: a strange answer is an error here, not a
// panic, so that the text fallback still goes.
func sendPhoto(c tele.Context, p render.Picture) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("telebot panicked on sendPhoto's answer: %v", r)
		}
	}()
	photo := &tele.Photo{File: tele.FromReader(bytes.NewReader(p.PNG)), Caption: titled(c, p.Caption)}
	return send(c, photo, tele.ModeHTML)
}
