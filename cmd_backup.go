package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/render"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// flags parses a subcommand's flags; a bad one prints usage and exits 2.
func flags(a *app, name string, args []string, define func(fs *flag.FlagSet)) bool {
	fs := flag.NewFlagSet("pgkeeper "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	define(fs)
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		if err == nil {
			err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
		}
		fmt.Fprintf(a.stderr, "pgkeeper %s: %v\n\n%s", name, err, usage)
		return false
	}
	return true
}

// backup makes one backup from the shell; exit 1 on failure, reason on stderr.
func backup(ctx context.Context, a *app, args []string) int {
	var dry bool
	if !flags(a, "backup", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&dry, "dry-run", false, "show what would be written and deleted")
	}) {
		return exitUsage
	}
	a.history(ctx) // record this run beside the chat's and the schedule's
	progress := shellProgress(a.stderr, func(p jobs.BackupProgress) string { return render.BackupProgress(p, render.Plain) })
	r, err := a.backupJob().Run(ctx, jobs.BackupOptions{DryRun: dry, Trigger: "shell"}, progress)
	fmt.Fprintln(a.stdout, a.red.String(render.Backup(r, render.Plain)))
	if err != nil {
		a.log.Error("backup failed", "err", err)
		if !errors.Is(err, jobs.ErrAlreadyRunning) {
			a.alertFromShell(ctx, "backup", err, render.Backup(r, render.HTML))
		}
		fmt.Fprintln(a.stderr, "pgkeeper backup:", a.red.String(err.Error()))
		return exitFailed
	}
	if cerr := r.CopyError(); cerr != nil {
		// The backup is good; its copy off this machine is not: cron and
		// the chat must hear of it all the same.
		a.alertFromShell(ctx, "backup copy", cerr, render.Backup(r, render.HTML))
		fmt.Fprintln(a.stderr, "pgkeeper backup: verified and kept here, but", a.red.String(cerr.Error()))
		return exitFailed
	}
	return exitOK
}

// backups lists the verified backups and the broken ones; --prune-broken
// removes the broken ones' files, once confirmed with --yes.
func backups(ctx context.Context, a *app, args []string) int {
	var prune, yes bool
	if !flags(a, "backups", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&prune, "prune-broken", false, "remove broken backups (with --yes)")
		fs.BoolVar(&yes, "yes", false, "confirm --prune-broken")
	}) {
		return exitUsage
	}
	if yes && !prune {
		fmt.Fprintf(a.stderr, "pgkeeper backups: --yes confirms --prune-broken, and there is nothing else to confirm\n\n%s", usage)
		return exitUsage
	}
	if prune {
		r, err := a.catalog().PruneBroken(ctx, !yes, vocab.TriggerShell, time.Now())
		fmt.Fprintln(a.stdout, render.PruneBroken(r, render.Plain))
		if err != nil {
			fmt.Fprintln(a.stderr, "pgkeeper backups:", a.red.String(err.Error()))
			return exitFailed
		}
		return exitOK
	}
	l, err := a.catalog().List(ctx)
	if err != nil {
		fmt.Fprintln(a.stderr, "pgkeeper backups:", err)
		return exitFailed
	}
	free, _ := jobs.FreeBytes(a.cfg.BackupDir)
	fmt.Fprintln(a.stdout, render.Backups(l, free, time.Now(), render.Plain))
	return exitOK
}
