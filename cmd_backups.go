package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// backups lists the verified backups and the broken ones; --prune-broken
// removes the broken ones' files, once confirmed with --yes.
func backups(ctx context.Context, a *app, args []string) error {
	var prune, yes bool
	if err := flags("backups", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&prune, "prune-broken", false, "remove broken backups (with --yes)")
		fs.BoolVar(&yes, "yes", false, "confirm --prune-broken")
	}); err != nil {
		return err
	}
	if yes && !prune {
		return misusedShowUsage(errors.New("--yes confirms --prune-broken, and there is nothing else to confirm"))
	}
	if prune {
		r, err := a.catalog().PruneBroken(ctx, !yes, vocab.TriggerShell, time.Now())
		fmt.Fprintln(a.stdout, render.PruneBroken(r, render.Plain))
		if err != nil {
			return failed(err)
		}
		return nil
	}
	l, err := a.catalog().List(ctx)
	if err != nil {
		return failed(err)
	}
	free, _ := jobs.FreeBytes(a.cfg.BackupDir)
	fmt.Fprintln(a.stdout, render.Backups(l, free, time.Now(), render.Plain, a.remoteNames()...))
	return nil
}
