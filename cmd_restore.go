package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/pgkeeper/pgkeeper/internal/render"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/service"
)

// restoreTest restores a backup into a scratch database and proves it; the
// shell is the operator's own, so no confirmation is asked. Exit 1 on failure.
func restoreTest(ctx context.Context, a *app, args []string) int {
	var name string
	if !flags(a, "restore-test", args, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "backup", "", "backup to test (default: the newest verified one)")
	}) {
		return exitUsage
	}
	a.history(ctx)
	r, err := a.restoreJob().Run(ctx, jobs.RestoreOptions{Backup: name, Trigger: jobs.TriggerShell},
		shellProgress(a.stderr, func(p jobs.RestoreProgress) string { return render.RestoreProgress(p, render.Plain) }))
	fmt.Fprintln(a.stdout, a.red.String(render.RestoreTest(r, render.Plain)))
	if err != nil {
		fmt.Fprintln(a.stderr, "pgkeeper restore-test:", a.red.String(err.Error()))
		return exitFailed
	}
	return exitOK
}

// cleanup previews expired keys; with --yes it deletes them (in short
// batches, with an undo file); --undo puts a cleanup's rows back.
func cleanup(ctx context.Context, a *app, args []string) int {
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
		fmt.Fprintf(a.stderr, "pgkeeper cleanup: %v\n\n%s", err, usage)
		return exitUsage
	}
	if batch <= 0 {
		fmt.Fprintln(a.stderr, "pgkeeper cleanup: --batch-size must be a positive number")
		return exitUsage
	}
	a.history(ctx)
	c := a.cleanupJob(batch, jobs.TriggerShell)
	if undo {
		r, err := c.Undo(ctx, fs.Arg(0))
		fmt.Fprintln(a.stdout, render.CleanupUndo(r, render.Plain))
		if err != nil {
			fmt.Fprintln(a.stderr, "pgkeeper cleanup --undo:", a.red.String(err.Error()))
			return exitFailed
		}
		return exitOK
	}
	if !yes {
		p, err := c.Preview(ctx)
		if err != nil {
			fmt.Fprintln(a.stderr, "pgkeeper cleanup:", a.red.String(err.Error()))
			return exitFailed
		}
		fmt.Fprintln(a.stdout, render.CleanupPreview(p, render.Plain))
		fmt.Fprintln(a.stdout, "Nothing was deleted. Run `pgkeeper cleanup --yes` to delete.")
		return exitOK
	}
	// Recorded in the history and reported to Sentry by the job's wrapper.
	r, err := c.Run(ctx, jobs.CleanupOptions{Confirmed: true, Trigger: jobs.TriggerShell},
		shellProgress(a.stderr, func(p jobs.CleanupProgress) string { return render.CleanupProgress(p, render.Plain) }))
	fmt.Fprintln(a.stdout, render.Cleanup(r, render.Plain))
	if err != nil {
		if !errors.Is(err, jobs.ErrAlreadyRunning) {
			a.alertFromShell(ctx, "cleanup", err, render.Cleanup(r, render.HTML))
		}
		fmt.Fprintln(a.stderr, "pgkeeper cleanup:", a.red.String(err.Error()))
		return exitFailed
	}
	if r.Stopped {
		// Stopped by a signal between batches: consistent, but not done.
		fmt.Fprintf(a.stderr, "pgkeeper cleanup: stopped before the end (%d keys deleted): run it again to finish, or `pgkeeper cleanup --undo %s` to put them back\n", r.Deleted, r.Run)
		return exitFailed
	}
	return exitOK
}

// cleanupJob is the cleanup job configured from the environment, recorded
// in the history and reported to Sentry; via is the trigger its undos record.
func (a *app) cleanupJob(batch int, via string) jobs.RecordedCleanup {
	return jobs.RecordedCleanup{Cleanup: &jobs.Cleanup{DB: a.db, Config: a.cleanupConfig(batch)}, History: a.hist, Via: via,
		AfterRun: func(trigger string, r jobs.CleanupReport) { service.CleanupEvent(a.hub, a.red, trigger, r) }}
}

func (a *app) cleanupConfig(batch int) jobs.CleanupConfig {
	c := a.cfg
	cfg := jobs.DefaultCleanupConfig(filepath.Join(c.BackupDir, "undo"))
	cfg.KeysTable, cfg.AgeColumn, cfg.ExpiresColumn = c.KeysTable, c.KeysAgeColumn, c.CleanupExpiresColumn
	cfg.RetentionDays, cfg.BatchSize, cfg.ProtectedTypes, cfg.Vacuum = c.RetentionDays, batch, c.CleanupProtected, c.CleanupVacuum
	cfg.UndoTTL, cfg.WarnRows, cfg.MaxRows, cfg.MaxShare = c.CleanupUndoTTL, c.CleanupWarnRows, c.CleanupMaxRows, c.CleanupMaxShare
	return cfg
}
