package jobs

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// walk runs the batches until the table's end, a stop, the unconfirmed limit
// or an error, keeping the undo file in step with what each batch committed.
func (c *Cleanup) walk(ctx context.Context, spec store.CleanupSpec, r *CleanupReport, opts CleanupOptions,
	p *CleanupProgress, report func()) error {
	d, err := c.DB.NewDeleter(ctx, spec, c.batchSize())
	if err != nil {
		return r.fail("prepare", err)
	}
	defer d.Close(ctx)
	undo, err := c.createUndo(spec, d.Columns(), r)
	if err != nil {
		return r.fail("undo file", err)
	}
	w := &walker{c: c, ctx: ctx, table: spec.Table, r: r, p: p, report: report, d: d, undo: undo,
		keyType: columnIndex(d.Columns(), "key_type"), limit: -1, batch: c.batchSize(), byType: map[string]int64{}}
	if !opts.Confirmed {
		w.limit = c.unconfirmedLimit(r.Preview.Counts.Rows)
	}
	w.begin()
	return w.finish(w.loop())
}

// walker is one cleanup's walk through the table: the run's report and
// progress it fills in, the deleter and undo file it drives, and what it
// has counted so far. Each step is one method, in the order they run.
type walker struct {
	c      *Cleanup
	ctx    context.Context
	table  vocab.Ident
	r      *CleanupReport
	p      *CleanupProgress
	report func()
	d      *store.Deleter
	undo   *undoWriter

	keyType int   // index of the key_type column; -1 when the table has none
	limit   int64 // most rows the run may delete; -1 when confirmed (no limit)
	batch   int   // rows per batch, at most

	byType            map[string]int64 // committed rows per key type
	start, lastReport time.Time

	// One attempt at a batch: its rows per key type, and whether its
	// commit point is already in the undo file.
	types  map[string]int64
	marked bool
}

// columnIndex is the position of the column called name, or -1.
func columnIndex(cols []store.Column, name string) int {
	for i, col := range cols {
		if col.Name == name {
			return i
		}
	}
	return -1
}

// begin switches the progress to deleting and starts the walk's clock.
func (w *walker) begin() {
	w.start = time.Now()
	w.p.Phase, w.p.Expected = PhaseDeleting, w.r.Preview.Counts.Expired
}

// loop takes batches until the table's end, a stop, the unconfirmed limit or
// an error. A stop is not an error: the report says Stopped.
func (w *walker) loop() error {
	for !w.d.Done() {
		if w.ctx.Err() != nil {
			w.r.Stopped = true
			return nil
		}
		room, ok := w.room()
		if !ok {
			w.r.LimitReached = true
			return nil
		}
		b, err := w.deleteBatch(room)
		if err != nil {
			return w.batchFailed(b, err)
		}
		w.record(b)
		w.progress()
	}
	return nil
}

// room is the limit for the next batch: 0 for a whole batch, fewer rows when
// an unconfirmed run is close to its limit, and false once it reached it.
func (w *walker) room() (int, bool) {
	if w.limit < 0 {
		return 0, true
	}
	remaining := w.limit - w.r.Deleted
	if remaining <= 0 {
		return 0, false
	}
	if remaining < int64(w.batch) {
		return int(remaining), true
	}
	return 0, true
}

// deleteBatch deletes one batch of at most limit rows (0: a whole batch),
// trying again while the live service holds some of its rows.
func (w *walker) deleteBatch(limit int) (store.Batch, error) {
	var b store.Batch
	err := retryBusy(w.ctx, func() error {
		var err error
		b, err = w.attempt(limit)
		return err
	}, func() { w.r.BusyRetries++ })
	return b, err
}

// attempt is one try at a batch: each deleted row goes to the undo file as it
// comes, and a commit point just before the batch commits. A batch that did
// not commit is marked so in the undo file.
func (w *walker) attempt(limit int) (store.Batch, error) {
	w.types, w.marked = map[string]int64{}, false
	// Not w.ctx: a batch is never cut in the middle (it is short and bounded
	// by BatchStatementTimeout); stops happen between batches.
	b, err := w.d.Next(context.WithoutCancel(w.ctx), limit, w.keep, w.commitPoint)
	if err != nil && !b.MaybeCommitted {
		if ferr := w.undo.failed(w.marked); ferr != nil {
			return b, errors.Join(err, ferr)
		}
	}
	return b, err
}

// keep writes a row the batch is deleting to the undo file and counts it by
// key type.
func (w *walker) keep(vals []*string) error {
	if w.keyType >= 0 && vals[w.keyType] != nil {
		w.types[*vals[w.keyType]]++
	}
	return w.undo.row(vals)
}

// commitPoint puts the batch's rows on disk before it commits.
func (w *walker) commitPoint(deleted int) error {
	if deleted == 0 {
		return nil // nothing to keep: no marker, no fsync
	}
	w.marked = true
	return w.undo.commitPoint()
}

// batchFailed ends the walk after a batch that failed: a stop is reported as
// Stopped, anything else as the run's failure. Rows whose commit is unknown
// are counted as Uncertain either way.
func (w *walker) batchFailed(b store.Batch, err error) error {
	w.r.Uncertain = int64(b.Deleted)
	if w.ctx.Err() != nil && errors.Is(err, w.ctx.Err()) {
		w.r.Stopped = true
		return nil
	}
	return w.r.fail("delete", err)
}

// record adds a committed batch to the report.
func (w *walker) record(b store.Batch) {
	r := w.r
	r.Deleted += int64(b.Deleted)
	r.Batches++
	r.PagesWalked, r.Pages = w.d.Progress()
	for t, n := range w.types {
		w.byType[t] += n
	}
}

// progress reports after the first batch, then at most every progressEvery.
func (w *walker) progress() {
	r, p := w.r, w.p
	p.Deleted, p.Batches, p.Pages, p.PagesWalked = r.Deleted, r.Batches, r.Pages, r.PagesWalked
	p.Rate = float64(r.Deleted) / time.Since(w.start).Seconds()
	if r.Batches == 1 || time.Since(w.lastReport) >= progressEvery {
		w.report()
		w.lastReport = time.Now()
	}
}

// finish totals the walk, measures the table as the walk left it and closes
// the undo file; err is how the walk ended, and an undo file that cannot be
// finished fails a walk that had not failed already.
func (w *walker) finish(err error) error {
	r := w.r
	w.totals()
	w.d.Close(w.ctx) // flushes the walk's statistics: dead tuples read next include it
	post, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), postTimeout)
	defer cancel()
	if sizes, serr := w.c.DB.RelationSizes(post, w.table); serr == nil {
		r.AfterWalk, r.After = sizes, sizes
	}
	if ferr := w.c.finishUndo(w.undo, r, err == nil && !r.Stopped); ferr != nil && err == nil {
		err = r.fail("undo file", ferr)
	}
	return err
}

// totals puts the walk's time, rate and rows per key type in the report.
func (w *walker) totals() {
	r := w.r
	r.DeleteTime = time.Since(w.start)
	if s := r.DeleteTime.Seconds(); s > 0 {
		r.Rate = float64(r.Deleted) / s
	}
	for t, n := range w.byType {
		r.DeletedByType = append(r.DeletedByType, TypeCount{Type: t, Rows: n})
	}
	sort.Slice(r.DeletedByType, func(i, j int) bool { return r.DeletedByType[i].Type < r.DeletedByType[j].Type })
}
