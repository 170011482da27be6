package main

import (
	"context"
	"io"
	"slices"
	"strings"

	"github.com/pgkeeper/pgkeeper/internal/config"
	"github.com/pgkeeper/pgkeeper/internal/redact"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// command is what `pgkeeper CMD` runs on one database's app.
type command func(context.Context, *app, []string) error

// dispatch runs command cmd on the databases sel names (#14). With one
// database and no --all, it is today's pgkeeper: the same app, the same
// output, whatever the database's name.
func dispatch(ctx context.Context, cmd string, f command, cfg config.Config, sel selection, args []string, stdout, stderr io.Writer) int {
	several := len(cfg.Databases) != 1 || len(cfg.Servers) > 0
	switch {
	case cmd == "health" && sel.db == "":
		return runOn(ctx, cmd, f, cfg, args, stdout, stderr)
	case !several && !sel.all && (sel.db == "" || sel.db == cfg.Databases[0].Name):
		if cfg.DatabaseURL == "" { // one DATABASE_URL_<NAME>: its settings, BACKUP_DIR/<name>
			cfg = cfg.Databases[0].Config
		}
		return runOn(ctx, cmd, f, cfg, args, stdout, stderr)
	case cmd == "serve" && sel.db == "":
		return serveAll(ctx, cfg, stdout, stderr)
	}
	ts := targets(ctx, cfg)
	red := redact.New(cfg.Secrets()...)
	switch {
	case sel.db != "":
		i := slices.IndexFunc(ts, func(t target) bool { return !t.whole && t.name == sel.db })
		if i < 0 {
			return exit(stderr, red, cmd, misused("no database %q: the databases are %s", sel.db, strings.Join(names(ts), ", ")))
		}
		if ts[i].err != nil {
			return exit(stderr, red, cmd, misused("%w", ts[i].err))
		}
		return runOn(ctx, cmd, f, ts[i].cfg, args, stdout, stderr)
	case cmd == "status":
		return overview(ctx, cfg, ts, stdout, stderr)
	case sel.all:
		return runAll(ctx, cmd, f, cfg, ts, args, stdout, stderr)
	}
	return exit(stderr, red, cmd, misused("%d databases are guarded: name one with --db NAME, or run backup, restore-test, "+
		"cleanup or backups on every one with --all; the databases are %s", len(names(ts)), strings.Join(names(ts), ", ")))
}

// runOn runs f on the app of one database's configuration: what pgkeeper
// always did with DATABASE_URL.
func runOn(ctx context.Context, cmd string, f command, cfg config.Config, args []string, stdout, stderr io.Writer) int {
	return runShared(ctx, cmd, f, cfg, nil, args, stdout, stderr)
}

// runShared is runOn whose backup shares its server's roles file with the
// other databases' of the run (nil: its own).
func runShared(ctx context.Context, cmd string, f command, cfg config.Config, roles *jobs.Roles, args []string, stdout, stderr io.Writer) int {
	a, err := newApp(ctx, cfg, stdout, stderr)
	if err != nil {
		return exit(stderr, nil, "", &exitError{code: exitUsage, err: err})
	}
	defer a.close()
	a.roles = roles
	return exit(stderr, a.red, cmd, f(ctx, a, args))
}
