package main

import (
	"context"
	"fmt"

	"github.com/pgkeeper/pgkeeper/bot"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// check prints one line per check and exits 1 when any failed.
func check(ctx context.Context, a *app, args []string) int {
	if len(args) > 0 {
		fmt.Fprintf(a.stderr, "pgkeeper check: takes no arguments, got %q\n", args)
		return exitUsage
	}
	c := &jobs.Check{DB: a.db, PGBinDir: a.cfg.PGBinDir, BackupDir: a.cfg.BackupDir, Schema: a.cfg.Schema, Restore: a.restoreJob().RestoreTest}
	if a.cfg.BotToken != "" {
		c.Probes = append(c.Probes, jobs.Probe{Name: "telegram", Run: func(ctx context.Context) (string, error) {
			name, err := bot.CheckAPI(ctx, a.cfg.APIURL, a.cfg.BotToken)
			return "getMe answered " + name, err
		}})
	}
	fmt.Fprintf(a.stdout, "%-5s %-12s %s\n", "ok", "config", "every variable is valid")
	failed := false
	for _, r := range c.Run(ctx) {
		mark := "ok"
		switch {
		case !r.OK:
			mark, failed = "FAIL", true
		case r.Warn:
			mark = "warn"
		}
		fmt.Fprintf(a.stdout, "%-5s %-12s %s\n", mark, r.Name, a.red.String(r.Detail))
	}
	if failed {
		return exitFailed
	}
	return exitOK
}
