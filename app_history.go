package main

import (
	"context"
	"time"

	"github.com/pgkeeper/pgkeeper/jobs"
)

// history prepares pgkeeper's own schema in the guarded database and returns
// the run history, or nil (logged) when the database cannot take it now: a
// down database must not stop pgkeeper from saying so.
func (a *app) history(ctx context.Context) *jobs.History {
	h, err := a.prepareHistory(ctx)
	if err != nil {
		a.log.Warn("run history off: cannot prepare pgkeeper's schema", "schema", a.cfg.Schema, "err", a.red.Error(err))
	}
	return h
}

// prepareHistory creates or migrates pgkeeper's schema, once per process.
func (a *app) prepareHistory(ctx context.Context) (*jobs.History, error) {
	if a.hist != nil {
		return a.hist, nil
	}
	mctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := a.db.Migrate(mctx, a.cfg.Schema); err != nil {
		return nil, err
	}
	a.hist = a.historyAsIs()
	return a.hist, nil
}

// historyAsIs is the run history on pgkeeper's schema without preparing it:
// for readers that must not create or migrate it (a missing schema reads as
// no runs).
func (a *app) historyAsIs() *jobs.History {
	return &jobs.History{DB: a.db, Schema: a.cfg.Schema, Logger: a.log, Redactor: a.red, Heartbeat: runHeartbeat}
}

// runHeartbeat is how often a running job says it is alive (see
// jobs.History.Heartbeat); a variable only so that tests can shorten it.
var runHeartbeat = jobs.DefaultHeartbeat
