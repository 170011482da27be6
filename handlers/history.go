package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/pgkeeper/pgkeeper/internal/confirm"
	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// HistoryReader reads the job runs a page at a time.
type HistoryReader interface {
	Page(ctx context.Context, q jobs.HistoryQuery) (jobs.HistoryReport, error)
}

var _ HistoryReader = (*jobs.History)(nil)

// HistoryPageSize is how many runs a page of /history lists.
const HistoryPageSize = 10

// actionHistoryPage is /history's ◀ ▶: the page to show, "\n", the filter.
const actionHistoryPage = "history_page"

// History answers /history [filter] with the last runs the filter takes
// (jobs.ParseHistoryFilter: job names and outcomes), a page at a time with
// ◀ ▶ (for the admin who asked, in that chat). A filter it does not know
// gets the words it does, and nothing else.
func History(ctx context.Context, h HistoryReader, cf *Confirmer) tele.HandlerFunc {
	show := func(c tele.Context, page int, f jobs.HistoryFilter, edit bool) error {
		r, err := h.Page(ctx, jobs.HistoryQuery{Filter: f, Offset: page * HistoryPageSize, Limit: HistoryPageSize})
		if err != nil {
			return err
		}
		k := cf.keys(c)
		k.pages(actionHistoryPage, render.Page{Index: r.Offset / HistoryPageSize, Size: HistoryPageSize}, r.Total, f.String())
		html := render.HistoryPage(r, HistoryPageSize, render.HTML)
		if edit {
			return editList(c, html, k)
		}
		return sendList(c, html, k)
	}
	cf.OnInPlace(actionHistoryPage, "", func(c tele.Context, p confirm.Pending) error {
		cf.spend(p.Token)
		_, words, _ := strings.Cut(p.Arg, "\n")
		f, err := jobs.ParseHistoryFilter(words)
		if err != nil { // the store holds only filters that parsed
			return fmt.Errorf("history page: %w", err)
		}
		return show(c, pageOf(p.Arg), f, true)
	})
	return func(c tele.Context) error {
		f, err := jobs.ParseHistoryFilter(c.Message().Payload)
		if err != nil {
			return send(c, titledPlain(c, historyFilterHelp(err, Database(c))))
		}
		return show(c, 0, f, false)
	}
}

// IsHistoryFilter reports whether s is a filter /history takes.
func IsHistoryFilter(s string) bool {
	_, err := jobs.ParseHistoryFilter(s)
	return err == nil
}

// historyFilterHelp answers a filter /history does not take (err says
// which word) with the words it does; db is the database's name when the
// chat serves several.
func historyFilterHelp(err error, db string) string {
	cmd := "/history "
	if db != "" {
		cmd += db + " "
	}
	outcomes := make([]string, len(jobs.HistoryOutcomes))
	for i, o := range jobs.HistoryOutcomes {
		outcomes[i] = string(o)
	}
	msg := err.Error()
	return strings.ToUpper(msg[:1]) + msg[1:] + ". " + strings.TrimSpace(cmd) + " takes job names (" +
		strings.Join(jobs.HistoryJobs, ", ") + ") and outcomes (" + strings.Join(outcomes, ", ") +
		"; failed takes abandoned runs too), in any mix: " + cmd + "backup failed shows the failed backups. Nothing was done."
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
