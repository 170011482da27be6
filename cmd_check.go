package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pgkeeper/pgkeeper/bot"
	"github.com/pgkeeper/pgkeeper/internal/config"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// check prints one line per check and exits 1 when any failed.
func check(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 {
		return misused("takes no arguments, got %q", args)
	}
	c := &jobs.Check{DB: a.db, PGBinDir: a.cfg.PGBinDir, BackupDir: a.cfg.BackupDir, Schema: a.cfg.Schema,
		Restore: a.restoreJob().RestoreTest, Remotes: jobs.RemoteSpecsFrom(a.cfg), Recipients: a.cfg.AgeRecipients}
	if a.cfg.BotToken != "" {
		c.Probes = append(c.Probes, jobs.Probe{Name: "telegram", Run: func(ctx context.Context) (string, error) {
			name, err := bot.CheckAPI(ctx, a.cfg.APIURL, a.cfg.BotToken)
			return "getMe answered " + name, err
		}})
	}
	if refusal := serveRefusal(a.cfg); refusal != "" {
		fmt.Fprintf(a.stdout, "%-5s %-12s %s\n", "warn", "config", refusal)
	} else {
		fmt.Fprintf(a.stdout, "%-5s %-12s %s\n", "ok", "config", "every variable is valid")
	}
	anyFailed := false
	for _, r := range c.Run(ctx) {
		mark := "ok"
		switch {
		case !r.OK:
			mark, anyFailed = "FAIL", true
		case r.Warn:
			mark = "warn"
		}
		fmt.Fprintf(a.stdout, "%-5s %-12s %s\n", mark, r.Name, a.red.String(r.Detail))
	}
	if anyFailed {
		return quietly(exitFailed)
	}
	return nil
}

// serveRefusal says what serve would refuse this configuration for (no
// token, no admins), or "". A warning, not a failure: the shell commands
// run without a bot.
func serveRefusal(c config.Config) string {
	var p config.Problems
	if !errors.As(c.RequireBot(), &p) {
		return ""
	}
	parts := make([]string, len(p))
	for i, x := range p {
		parts[i] = x.Var + ": " + x.Msg
	}
	return "serve would refuse: " + strings.Join(parts, "; ")
}
