package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// restoreInto (`pgkeeper restore`) is disaster recovery from the shell: a
// backup restored into a new database, verified and kept. Only in the shell:
// switching the service over is done on the servers anyway. It works while
// the live database is down, and never writes into a database that exists.
// Without --yes it only says what it would do.
func restoreInto(ctx context.Context, a *app, args []string) error {
	var name, into string
	var yes bool
	if err := flags("restore", args, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "backup", "", "backup to restore (default: the newest verified one)")
		fs.StringVar(&into, "into", "", "new database to restore into (required; must not exist)")
		fs.BoolVar(&yes, "yes", false, "restore (default: only say what would happen)")
	}); err != nil {
		return err
	}
	if into == "" {
		return misusedShowUsage(errors.New("--into NEW_DB is required: the new database to restore into"))
	}
	// Not recorded in the history: the database that holds it may be the
	// one being recovered.
	job := a.restoreJob().RestoreTest
	if !yes {
		p, err := job.PreviewInto(ctx, name, into)
		fmt.Fprintln(a.stdout, a.red.String(render.RecoveryPreview(p, render.Plain)))
		if err != nil {
			return failed(err)
		}
		fmt.Fprintln(a.stdout, "Nothing was done. Run again with --yes to restore.")
		return nil
	}
	r, err := job.Run(ctx, jobs.RestoreOptions{Backup: name, Into: into, Trigger: vocab.TriggerShell},
		shellProgress(a.stderr, func(p jobs.RestoreProgress) string { return render.RecoveryProgress(p, into, render.Plain) }))
	fmt.Fprintln(a.stdout, a.red.String(render.Recovery(r, a.cfg.BackupDir, render.Plain)))
	if err != nil {
		return failed(err)
	}
	return nil
}
