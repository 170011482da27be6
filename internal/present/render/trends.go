package render

import (
	"errors"
	"strings"

	"github.com/pgkeeper/pgkeeper/internal/present/chart"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// Picture is a chart ready to send: the PNG (nil when there is nothing to
// draw or it could not be drawn), its caption, and the same figures as text
// for when the photo cannot be sent. Caption and Fallback are in the format
// Trends was asked for.
type Picture struct {
	PNG      []byte
	Caption  string
	Fallback string
}

// Text is the picture as a message of its own: the caption and the figures.
func (p Picture) Text() string { return p.Caption + "\n" + p.Fallback }

// Trends draws the trend charts of r: sizes and key count, then each
// backup's size and duration.
func Trends(r jobs.TrendsReport, f Format) []Picture {
	sizes, sizesErr := chart.Sizes(r.Sizes)
	backups, backupsErr := chart.Backups(r.Backups)
	return []Picture{
		picture(sizes, sizesErr, "Database and keys table size, key count · last 30 days", chart.SizesText(r.Sizes), f),
		picture(backups, backupsErr, "Backups: size and duration per run · last 30 days", chart.BackupsText(r.Backups), f),
	}
}

func picture(png []byte, err error, title, text string, f Format) Picture {
	d := &doc{f: f}
	d.line(d.bold(title))
	p := Picture{Caption: strings.TrimRight(d.String(), "\n")}
	if err == nil {
		p.PNG = png
	} else if !errors.Is(err, chart.ErrNoData) {
		// A chart that failed to draw still has its figures said in words.
		p.Caption += "\n" + (&doc{f: f}).esc("(chart not drawn: "+err.Error()+")")
	}
	fb := &doc{f: f}
	fb.pre(strings.Split(text, "\n"))
	p.Fallback = strings.TrimRight(fb.String(), "\n")
	return p
}
