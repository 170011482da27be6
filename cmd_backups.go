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
// removes the broken ones' files, once confirmed with --yes; --remote NAME
// lists a remote's copies instead (see remoteBackups).
func backups(ctx context.Context, a *app, args []string) error {
	var prune, yes, verify bool
	var from string
	if err := flags("backups", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&prune, "prune-broken", false, "remove broken backups (with --yes)")
		fs.BoolVar(&yes, "yes", false, "confirm --prune-broken")
		fs.StringVar(&from, "remote", "", "list this remote's copies instead of BACKUP_DIR's backups")
		fs.BoolVar(&verify, "verify", false, "with --remote: read each copy whole and compare its sha256")
	}); err != nil {
		return err
	}
	switch {
	case yes && !prune:
		return misusedShowUsage(errors.New("--yes confirms --prune-broken, and there is nothing else to confirm"))
	case verify && from == "":
		return misusedShowUsage(errors.New("--verify checks a remote's copies: give the remote (--remote NAME)"))
	case prune && from != "":
		return misusedShowUsage(errors.New("--prune-broken is for BACKUP_DIR; pgkeeper never prunes a remote by hand"))
	case from != "":
		return remoteBackups(ctx, a, from, verify)
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
