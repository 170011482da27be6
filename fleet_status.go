package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/config"
	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/internal/redact"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// overviewParallel is how many databases' status run at once: a status is
// light, and twenty databases must answer in well under two seconds.
const overviewParallel = 8

// overview is `pgkeeper status` with several databases: one line per
// database, worst first, each from the status job that database's own
// `status --db NAME` runs; the exit code is the worst (0, 1, 2).
func overview(ctx context.Context, cfg config.Config, ts []target, stdout, stderr io.Writer) int {
	var mu sync.Mutex
	rows := make([]jobs.OverviewRow, 0, len(ts))
	sem := make(chan struct{}, overviewParallel)
	var wg sync.WaitGroup
	for _, t := range ts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			row := jobs.OverviewRow{Name: t.name}
			if t.err != nil {
				row.Error = t.err.Error()
			} else {
				errw := &prefixed{mu: &mu, w: stderr, prefix: t.name + ": "}
				defer errw.Flush()
				row.Report, row.Error = statusOf(ctx, t.cfg, errw)
			}
			mu.Lock()
			rows = append(rows, row)
			mu.Unlock()
		}()
	}
	wg.Wait()
	o := jobs.NewOverview(time.Now(), rows)
	red := redact.New(cfg.Secrets()...)
	fmt.Fprintln(stdout, red.String(render.StatusOverview(o, render.Plain)))
	return exit(stderr, red, "status", levelExit(o.Level()))
}

// statusOf is one database's status report, read-only as `status` is.
func statusOf(ctx context.Context, cfg config.Config, stderr io.Writer) (jobs.StatusReport, string) {
	a, err := newApp(ctx, cfg, io.Discard, stderr)
	if err != nil {
		return jobs.StatusReport{}, err.Error()
	}
	defer a.close()
	job := a.statusJob()
	job.History, job.ReadOnly = a.historyAsIs(), true
	return job.Brief(ctx), ""
}
