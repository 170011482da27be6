package jobs

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// progressEvery is how often a run reports progress, at least: the chat
// edits its message every few seconds, the shell prints a line.
const progressEvery = time.Second

// postTimeout bounds what a run does after its context ended (sizes, the
// undo manifest): a stopped run still reports and stays undoable.
const postTimeout = 10 * time.Second

// Run deletes the expired keys: lock, count (the exact preview), guard,
// batches walking the table by page ranges, with every deleted row streamed to an undo
// file, then VACUUM (ANALYZE). An unconfirmed run over the guards deletes
// nothing and says why (Guarded). A cancelled ctx stops it between batches:
// what it reports as deleted is exactly what went. The error is non-nil
// exactly when the report says the run failed. progress may be nil; it is
// never called concurrently.
func (c *Cleanup) Run(ctx context.Context, opts CleanupOptions, progress func(CleanupProgress)) (CleanupReport, error) {
	start := time.Now() // monotonic: durations and rates are measured, not policy
	r := CleanupReport{Trigger: opts.Trigger, Confirmed: opts.Confirmed, StartedAt: c.now(), WarnRows: c.Config.WarnRows}
	if progress == nil {
		progress = func(CleanupProgress) {}
	}
	err := c.run(ctx, &r, opts, start, progress)
	if err != nil && !r.Vacuum.Ran && r.Vacuum.Skipped == "" && r.Vacuum.Error == "" {
		r.Vacuum.Skipped = "cleanup failed"
	}
	r.Duration = time.Since(start)
	return r, err
}

func (c *Cleanup) run(ctx context.Context, r *CleanupReport, opts CleanupOptions, start time.Time,
	progress func(CleanupProgress)) error {
	spec, err := c.spec(r.StartedAt)
	if err == nil && c.Config.UndoDir == "" {
		err = errors.New("cleanup: no undo directory: a cleanup that cannot be undone does not run")
	}
	if err != nil {
		return r.fail("config", err)
	}
	r.Cutoff = spec.Cutoff
	lock, err := c.DB.TryLock(ctx, vocab.JobCleanup, string(opts.Trigger), r.StartedAt)
	if err != nil {
		return r.fail("lock", err)
	}
	defer lock.Unlock(ctx)
	r.origin = c.origin(ctx)
	r.UndoSwept = c.sweepUndo(r.StartedAt, r.origin)

	p := CleanupProgress{Phase: PhaseCounting, StartedAt: r.StartedAt}
	report := func() {
		p.Elapsed = time.Since(start)
		progress(p)
	}
	err = during(report, func() (err error) {
		r.Preview, err = c.preview(ctx, spec)
		return err
	})
	if err != nil && ctx.Err() != nil {
		r.Stopped, r.Vacuum.Skipped = true, "stopped"
		return nil // stopped before deleting anything
	}
	if err != nil {
		return r.fail("count", err)
	}
	r.Before, r.AfterWalk, r.After = r.Preview.Sizes, r.Preview.Sizes, r.Preview.Sizes
	if !opts.Confirmed && r.Preview.Guard != "" {
		r.Guarded, r.GuardReason, r.Vacuum.Skipped = true, r.Preview.Guard, "guarded"
		return nil
	}
	if r.Preview.Counts.Expired == 0 {
		r.Vacuum.Skipped = "nothing deleted"
		return nil
	}
	if err := c.walk(ctx, spec, r, opts, &p, report); err != nil {
		return err
	}
	c.vacuum(ctx, spec.Table, r, &p, report)
	post, cancel := context.WithTimeout(context.WithoutCancel(ctx), postTimeout)
	defer cancel()
	if sizes, err := c.DB.RelationSizes(post, spec.Table); err == nil {
		r.After = sizes
	}
	return nil
}

// createUndo starts the run's undo file, named after the run.
func (c *Cleanup) createUndo(spec store.CleanupSpec, cols []store.Column, r *CleanupReport) (*undoWriter, error) {
	for n := 0; ; n++ {
		run := undoRunName(r.StartedAt, n)
		w, err := createUndo(c.Config.UndoDir, undoHeader{Run: run, Table: spec.Table.String(), Columns: cols,
			Cutoff: spec.Cutoff, Started: r.StartedAt, Trigger: r.Trigger, Database: r.origin.Database, SystemID: r.origin.SystemID})
		if errors.Is(err, os.ErrExist) && n < 100 {
			continue
		}
		if err != nil {
			return nil, err
		}
		r.Run, r.UndoFile, r.UndoExpiry = run, w.path, r.StartedAt.Add(c.undoTTL())
		return w, nil
	}
}

// finishUndo closes the undo file and writes its manifest, or removes it when
// nothing was deleted.
func (c *Cleanup) finishUndo(w *undoWriter, r *CleanupReport, complete bool) error {
	rows := r.Deleted + r.Uncertain
	if rows == 0 {
		w.abandon()
		r.Run, r.UndoFile, r.UndoExpiry = "", "", time.Time{}
		return nil
	}
	if err := w.close(rows); err != nil {
		return err
	}
	return writeJSONAtomic(manifestPath(c.Config.UndoDir, r.Run), UndoRun{
		Run: r.Run, File: r.UndoFile, Table: c.Config.KeysTable.String(), Trigger: r.Trigger, Cutoff: r.Cutoff,
		Started: r.StartedAt, Finished: c.now(), Expires: r.UndoExpiry, Rows: rows, ByType: r.DeletedByType, Complete: complete,
		Database: r.origin.Database, SystemID: r.origin.SystemID,
	})
}
