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
// confirmation is asked. Exit 1 on failure.
func restoreTest(ctx context.Context, a *app, args []string) error {
	var name string
	if err := flags("restore-test", args, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "backup", "", "backup to test (default: the newest verified one)")
	}); err != nil {
		return err
	}
	a.history(ctx)
	r, err := a.restoreJob().Run(ctx, jobs.RestoreOptions{Backup: name, Trigger: vocab.TriggerShell},
		shellProgress(a.stderr, func(p jobs.RestoreProgress) string { return render.RestoreProgress(p, render.Plain) }))
	fmt.Fprintln(a.stdout, a.red.String(render.RestoreTest(r, render.Plain)))
	if err != nil {
		return failed(err)
	}
	return nil
}
