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
// Without --yes it only says what it would do. With --from it restores a
// remote's copy, streamed: all it needs then is the remote, the key for an
// encrypted copy, and a server to restore into.
func restoreInto(ctx context.Context, a *app, args []string) error {
	opts := jobs.RestoreOptions{Trigger: vocab.TriggerShell}
	var yes bool
	if err := flags("restore", args, func(fs *flag.FlagSet) {
		fs.StringVar(&opts.Backup, "backup", "", "backup to restore (default: the newest verified one)")
		fs.StringVar(&opts.Into, "into", "", "new database to restore into (required; must not exist)")
		fs.StringVar(&opts.From, "from", "", "restore this remote's copy, streamed from it")
		fs.StringVar(&opts.Identity, "identity", "", "age identity file (0600) for an encrypted copy")
		fs.BoolVar(&yes, "yes", false, "restore (default: only say what would happen)")
	}); err != nil {
		return err
	}
	into := opts.Into
	if into == "" {
		return misusedShowUsage(errors.New("--into NEW_DB is required: the new database to restore into"))
	}
	// Not recorded in the history: the database that holds it may be the
	// one being recovered.
	job := a.restoreJob().RestoreTest
	if err := job.CheckFrom(opts); err != nil {
		return misused("%w", err)
	}
	if !yes {
		p, err := job.PreviewRun(ctx, opts)
		fmt.Fprintln(a.stdout, a.red.String(render.RecoveryPreview(p, render.Plain)))
		if err != nil {
			return failed(err)
		}
		fmt.Fprintln(a.stdout, "Nothing was done. Run again with --yes to restore.")
		return nil
	}
	r, err := job.Run(ctx, opts,
		shellProgress(a.stderr, func(p jobs.RestoreProgress) string { return render.RecoveryProgress(p, into, render.Plain) }))
	fmt.Fprintln(a.stdout, a.red.String(render.Recovery(r, a.cfg.BackupDir, render.Plain)))
	if err != nil {
		return failed(err)
	}
	return nil
}
