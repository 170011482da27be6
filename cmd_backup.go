package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// backup makes one backup from the shell; exit 1 on failure, reason on stderr.
func backup(ctx context.Context, a *app, args []string) error {
	var dry bool
	if err := flags("backup", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&dry, "dry-run", false, "show what would be written and deleted")
	}); err != nil {
		return err
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
		return failed(err)
	}
	if component, err := offsiteFailure(r); err != nil {
		// The backup is good; its copy off this machine is not: cron and
		// the chat must hear of it all the same, and the exit code is 1.
		a.alertFromShell(ctx, component, err, render.Backup(r, render.HTML))
		return err
	}
	return nil
}

// offsiteFailure is the command's error when a good backup's copies off
// this machine failed (exit 1; a jobs.ErrRemoteFailed when a remote did),
// and the component its alert names; nil when nothing failed.
func offsiteFailure(r jobs.BackupReport) (string, error) {
	cerr, rerr := r.CopyError(), r.RemoteError()
	component, err := "backup remote", rerr
	switch {
	case rerr != nil && cerr != nil:
		err = fmt.Errorf("%w; and %w", rerr, cerr)
	case cerr != nil:
		component, err = "backup copy", cerr
	case rerr == nil:
		return "", nil
	}
	return component, failed(fmt.Errorf("verified and kept here, but %w", err))
}
