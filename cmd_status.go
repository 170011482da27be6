package main

import (
	"context"
	"fmt"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// status prints the /status report and exits with its level, for cron and
// monitoring: 0 healthy, 1 warning, 2 critical.
func status(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 {
		return misused("takes no arguments, got %q", args)
	}
	job := a.statusJob()
	// Each job's last run comes from pgkeeper's schema when a serve or an
	// earlier command made it; a status never creates or writes to it.
	job.History, job.ReadOnly = a.historyAsIs(), true
	r := job.Run(ctx)
	fmt.Fprintln(a.stdout, a.red.String(render.Status(r, render.Plain)))
	return levelExit(r.Level())
}

// levelExit is a status's exit: 0 healthy, 1 warning, 2 critical.
func levelExit(l jobs.Level) error {
	switch l {
	case jobs.LevelOK:
		return nil
	case jobs.LevelWarn:
		return quietly(exitFailed)
	default:
		return quietly(exitUsage) // critical
	}
}
