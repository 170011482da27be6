package jobs

import (
	"context"
	"errors"
	"os"
	"sort"
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

func (c *Cleanup) run(ctx context.Context, r *CleanupReport, opts CleanupOptions, start time.Time, progress func(CleanupProgress)) error {
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

// walk runs the batches until the table's end, a stop, the unconfirmed limit
// or an error, keeping the undo file in step with what each batch committed.
func (c *Cleanup) walk(ctx context.Context, spec store.CleanupSpec, r *CleanupReport, opts CleanupOptions,
	p *CleanupProgress, report func()) (err error) {
	d, err := c.DB.NewDeleter(ctx, spec, c.batchSize())
	if err != nil {
		return r.fail("prepare", err)
	}
	defer d.Close(ctx)
	w, err := c.createUndo(spec, d.Columns(), r)
	if err != nil {
		return r.fail("undo file", err)
	}
	keyType := -1
	for i, col := range d.Columns() {
		if col.Name == "key_type" {
			keyType = i
		}
	}
	limit := int64(-1)
	if !opts.Confirmed {
		limit = c.unconfirmedLimit(r.Preview.Counts.Rows)
	}
	byType := map[string]int64{}
	walkStart, lastReport := time.Now(), time.Time{}
	p.Phase, p.Expected = PhaseDeleting, r.Preview.Counts.Expired
	batch := c.batchSize()
	for !d.Done() {
		if ctx.Err() != nil {
			r.Stopped = true
			break
		}
		capN := 0
		if limit >= 0 {
			remaining := limit - r.Deleted
			if remaining <= 0 {
				r.LimitReached = true
				break
			}
			if remaining < int64(batch) {
				capN = int(remaining)
			}
		}
		var b store.Batch
		var types map[string]int64
		err = retryBusy(ctx, func() error {
			types = map[string]int64{}
			marked := false
			var err error
			// Not ctx: a batch is never cut in the middle (it is short and
			// bounded by BatchStatementTimeout); stops happen between batches.
			b, err = d.Next(context.WithoutCancel(ctx), capN, func(vals []*string) error {
				if keyType >= 0 && vals[keyType] != nil {
					types[*vals[keyType]]++
				}
				return w.row(vals)
			}, func(deleted int) error {
				if deleted == 0 {
					return nil // nothing to keep: no marker, no fsync
				}
				marked = true
				return w.commitPoint()
			})
			if err != nil && !b.MaybeCommitted {
				if ferr := w.failed(marked); ferr != nil {
					return errors.Join(err, ferr)
				}
			}
			return err
		}, func() { r.BusyRetries++ })
		if err != nil {
			r.Uncertain = int64(b.Deleted)
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				r.Stopped, err = true, nil
				break
			}
			err = r.fail("delete", err)
			break
		}
		r.Deleted += int64(b.Deleted)
		r.Batches++
		r.PagesWalked, r.Pages = d.Progress()
		for t, n := range types {
			byType[t] += n
		}
		p.Deleted, p.Batches, p.Pages, p.PagesWalked = r.Deleted, r.Batches, r.Pages, r.PagesWalked
		p.Rate = float64(r.Deleted) / time.Since(walkStart).Seconds()
		if r.Batches == 1 || time.Since(lastReport) >= progressEvery {
			report()
			lastReport = time.Now()
		}
	}
	r.DeleteTime = time.Since(walkStart)
	if s := r.DeleteTime.Seconds(); s > 0 {
		r.Rate = float64(r.Deleted) / s
	}
	for t, n := range byType {
		r.DeletedByType = append(r.DeletedByType, TypeCount{Type: t, Rows: n})
	}
	sort.Slice(r.DeletedByType, func(i, j int) bool { return r.DeletedByType[i].Type < r.DeletedByType[j].Type })
	d.Close(ctx) // flushes the walk's statistics: dead tuples read next include it
	post, cancel := context.WithTimeout(context.WithoutCancel(ctx), postTimeout)
	defer cancel()
	if sizes, serr := c.DB.RelationSizes(post, spec.Table); serr == nil {
		r.AfterWalk, r.After = sizes, sizes
	}
	if ferr := c.finishUndo(w, r, err == nil && !r.Stopped); ferr != nil && err == nil {
		err = r.fail("undo file", ferr)
	}
	return err
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
