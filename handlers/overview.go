package handlers

import (
	"context"
	"sync"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// NamedStatus is one database's status job, named as the chat calls it.
type NamedStatus struct {
	Name   string
	Status Statuser
}

// overviewParallel is how many databases' status run at once: a status is
// light, and the answer must come in seconds.
const overviewParallel = 8

// Overview answers /status with several databases: one line each, worst
// first, each from that database's own status job.
func Overview(ctx context.Context, dbs []NamedStatus) tele.HandlerFunc {
	return func(c tele.Context) error {
		_ = c.Notify(tele.Typing)
		rows := make([]jobs.OverviewRow, len(dbs))
		sem := make(chan struct{}, overviewParallel)
		var wg sync.WaitGroup
		for i, db := range dbs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				rows[i] = jobs.OverviewRow{Name: db.Name, Report: db.Status.Brief(ctx)}
			}()
		}
		wg.Wait()
		o := jobs.NewOverview(time.Now(), rows)
		return sendHTML(c, render.StatusOverviewHint(o, render.HTML, "/status NAME"))
	}
}
