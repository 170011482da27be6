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
	if cerr := r.CopyError(); cerr != nil {
		// The backup is good; its copy off this machine is not: cron and
		// the chat must hear of it all the same.
		a.alertFromShell(ctx, "backup copy", cerr, render.Backup(r, render.HTML))
		return failed(fmt.Errorf("verified and kept here, but %w", cerr))
	}
	return nil
}
