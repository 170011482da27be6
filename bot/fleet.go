package bot

import (
	"context"
	"errors"
)

// Database is one guarded database as the chat sees it: its name (as in
// `--db NAME`) and its jobs.
type Database struct {
	Name string
	Jobs Jobs
}

// ErrSeveralDatabases means the chat was asked to serve several databases,
// which it does not yet (issue #14): serve one database per bot.
var ErrSeveralDatabases = errors.New("the chat serves one database for now: run serve with --db NAME")

// NewFleet is New for the databases pgkeeper guards. One database is
// exactly New.
func NewFleet(ctx context.Context, s Settings, dbs []Database) (*Bot, error) {
	if len(dbs) != 1 {
		return nil, ErrSeveralDatabases
	}
	return New(ctx, s, dbs[0].Jobs)
}
