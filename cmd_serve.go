package main

import (
	"context"
	"fmt"

	"github.com/pgkeeper/pgkeeper/bot"
)

// serve runs the bot until SIGINT or SIGTERM.
func serve(ctx context.Context, a *app, args []string) int {
	if len(args) > 0 {
		fmt.Fprintf(a.stderr, "pgkeeper serve: takes no arguments, got %q\n", args)
		return exitUsage
	}
	if err := a.cfg.RequireBot(); err != nil {
		fmt.Fprintf(a.stderr, "pgkeeper: %v\n", err)
		return exitUsage
	}
	b, err := bot.New(ctx, bot.Settings{
		Token:    a.cfg.BotToken,
		APIURL:   a.cfg.APIURL,
		Admins:   a.cfg.AdminIDs,
		ChatID:   a.cfg.ChatID,
		Logger:   a.log,
		Redactor: a.red,
		Hub:      a.hub,
	}, bot.Jobs{
		Status:    a.statusJob(),
		Backup:    a.backupJob(),
		BackupDir: a.cfg.BackupDir,
		Capture:   a.capture("chat"),
	})
	if err != nil {
		a.log.Error("cannot start the bot", "err", err)
		return exitFailed
	}
	a.log.Info("pgkeeper starting", "version", version, "database", a.db.Database())
	if err := b.Run(ctx); err != nil {
		a.log.Error("bot stopped", "err", err)
		return exitFailed
	}
	a.log.Info("pgkeeper stopped")
	return exitOK
}
