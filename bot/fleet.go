package bot

import (
	"context"
	"errors"
	"fmt"

	tele "gopkg.in/telebot.v3"
)

// Database is one guarded database as the chat sees it: its name (as in
// `--db NAME`) and its jobs.
type Database struct {
	Name string
	Jobs Jobs
}

// ErrNoDatabases means the chat was given no database to serve.
var ErrNoDatabases = errors.New("the chat needs at least one database")

// NewFleet is New for the databases pgkeeper guards. One database is
// exactly New: same commands, same texts, same buttons. With several, each
// command takes the database's name (or offers a picker) and every reply
// names its database.
func NewFleet(ctx context.Context, s Settings, dbs []Database) (*Bot, error) {
	switch len(dbs) {
	case 0:
		return nil, ErrNoDatabases
	case 1:
		return New(ctx, s, dbs[0].Jobs)
	}
	seen := map[string]bool{}
	for _, db := range dbs {
		switch {
		case db.Name == "" || db.Name == allDatabases:
			return nil, fmt.Errorf("chat: a database cannot be named %q", db.Name)
		case seen[db.Name]:
			return nil, fmt.Errorf("chat: database %q given twice", db.Name)
		case db.Jobs.Status == nil || db.Jobs.Backup == nil || db.Jobs.Backups == nil:
			return nil, fmt.Errorf("chat: database %q lacks its status, backup or backups job", db.Name)
		}
		seen[db.Name] = true
	}
	b, err := newBot(ctx, s)
	if err != nil {
		return nil, err
	}
	b.fleetRoutes(dbs)
	return b, nil
}

// allDatabases is the reserved name of every database at once (/backup all).
const allDatabases = "all"

// member is one database's commands, as the one-database chat has them.
type member struct {
	name string
	cmds map[string]tele.HandlerFunc
}
