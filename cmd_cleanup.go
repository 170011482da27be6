package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// cleanup previews expired keys; with --yes it deletes them (in short
// batches, with an undo file); --undo puts a cleanup's rows back.
func cleanup(ctx context.Context, a *app, args []string) error {
	var yes, undo bool
	var batch int
	fs := flag.NewFlagSet("pgkeeper cleanup", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&yes, "yes", false, "delete (default: only the preview)")
	fs.BoolVar(&undo, "undo", false, "put a cleanup's rows back (default run: the newest)")
	fs.IntVar(&batch, "batch-size", a.cfg.CleanupBatchSize, "rows per short transaction")
	err := fs.Parse(args)
	if err == nil && (fs.NArg() > 1 || (fs.NArg() == 1 && !undo)) {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(fs.NArg()-1))
	}
	if err != nil {
		return misusedShowUsage(err)
	}
	if batch <= 0 {
		return misused("--batch-size must be a positive number")
	}
	a.history(ctx)
	c := a.cleanupJob(batch, vocab.TriggerShell)
	if undo {
		r, err := c.Undo(ctx, fs.Arg(0))
		fmt.Fprintln(a.stdout, render.CleanupUndo(r, render.Plain))
		if err != nil {
			return &exitError{code: exitFailed, err: err, as: "cleanup --undo"}
		}
		return nil
	}
	if !yes {
		p, err := c.Preview(ctx)
		if err != nil {
			return failed(err)
		}
		fmt.Fprintln(a.stdout, render.CleanupPreview(p, render.Plain))
		fmt.Fprintln(a.stdout, "Nothing was deleted. Run `pgkeeper cleanup --yes` to delete.")
		return nil
	}
	// Recorded in the history and reported to Sentry by the job's wrapper.
	r, err := c.Run(ctx, jobs.CleanupOptions{Confirmed: true, Trigger: vocab.TriggerShell},
		shellProgress(a.stderr, func(p jobs.CleanupProgress) string { return render.CleanupProgress(p, render.Plain) }))
	fmt.Fprintln(a.stdout, render.Cleanup(r, render.Plain))
	if err != nil {
		if !errors.Is(err, jobs.ErrAlreadyRunning) {
			a.alertFromShell(ctx, "cleanup", err, render.Cleanup(r, render.HTML))
		}
		return failed(err)
	}
	if r.Stopped {
		// Stopped by a signal between batches: consistent, but not done.
		return failed(fmt.Errorf("stopped before the end (%d keys deleted): run it again to finish, "+
			"or `pgkeeper cleanup --undo %s` to put them back", r.Deleted, r.Run))
	}
	return nil
}
