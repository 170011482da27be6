package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// restoreTest (`pgkeeper restore-test`) restores a backup into a scratch
// database and proves it; the shell is the operator's own, so no
// confirmation is asked. With --from, the backup is a remote's copy,
// streamed. Exit 1 on failure; 2 for bad options, refused before anything
// runs or is recorded.
func restoreTest(ctx context.Context, a *app, args []string) error {
	var opts jobs.RestoreOptions
	if err := flags("restore-test", args, func(fs *flag.FlagSet) {
		fs.StringVar(&opts.Backup, "backup", "", "backup to test (default: the newest verified one)")
		fs.StringVar(&opts.From, "from", "", "test this remote's copy, streamed from it")
		fs.StringVar(&opts.Identity, "identity", "", "age identity file (0600) for an encrypted copy")
	}); err != nil {
		return err
	}
	opts.Trigger = vocab.TriggerShell
	job := a.restoreJob()
	if err := job.CheckFrom(opts); err != nil {
		return misused("%w", err)
	}
	// The job was built before the history was prepared: record this run too.
	job.History = a.history(ctx)
	r, err := job.Run(ctx, opts,
		shellProgress(a.stderr, func(p jobs.RestoreProgress) string { return render.RestoreProgress(p, render.Plain) }))
	fmt.Fprintln(a.stdout, a.red.String(render.RestoreTest(r, render.Plain)))
	if err != nil {
		return failed(err)
	}
	return nil
}
