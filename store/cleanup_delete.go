package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// windowFactor bounds the pages one batch reads: enough for windowFactor
// batches' worth of rows at the table's average density, so a batch where
// few rows are expired stays short too.
const windowFactor = 4

// Deleter deletes what a CleanupSpec selects, in short transactions that walk
// the table in physical order, by ranges of pages (TID range scans,
// PostgreSQL 14+). Each batch counts up to its limit of deletable rows in the
// next range of pages, then deletes the deletable rows of that range (up to
// the last one counted) with the rule re-checked on the rows as they are now,
// and returns their values; the next batch starts where it stopped. Physical
// order dirties each page once, where primary-key order dirties it once per
// batch (see bench/cleanup/README.md), and needs no index on the age column.
// The walk ends at the table's size when it began: pages added since hold
// only rows written since, which are not expired. A Deleter holds one
// connection until Close; it is not safe for concurrent use.
type Deleter struct {
	conn     *pgxpool.Conn
	spec     CleanupSpec
	cols     []Column
	batch    int
	window   int64 // pages one batch may read
	blocks   int64 // the table's pages when the walk began
	next     tid   // where the next batch starts
	pickSQL  string
	purgeSQL string
}

type tid struct {
	block  int64
	offset int64
}

func (t tid) String() string { return fmt.Sprintf("(%d,%d)", t.block, t.offset) }

func parseTID(s string) (tid, error) {
	b, o, ok := strings.Cut(strings.Trim(s, "()"), ",")
	block, err1 := strconv.ParseInt(b, 10, 64)
	offset, err2 := strconv.ParseInt(o, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return tid{}, fmt.Errorf("bad tid %q", s)
	}
	return tid{block, offset}, nil
}

// Batch is what one batch did.
type Batch struct {
	Deleted int // rows deleted (committed, unless the error says otherwise)
	// MaybeCommitted is set with an error at COMMIT that leaves its outcome
	// unknown (the connection broke): the rows may be gone.
	MaybeCommitted bool
}

// NewDeleter checks the table (never the credentials table, under any
// spelling; an ordinary table with a primary key, so an undo can tell a key
// written again since, and the columns the rules need) and takes a
// connection for a walk in batches of at most batch rows.
func (db *DB) NewDeleter(ctx context.Context, spec CleanupSpec, batch int) (*Deleter, error) {
	if err := spec.Check(); err != nil {
		return nil, err
	}
	if batch <= 0 {
		return nil, errors.New("cleanup: batch size must be positive")
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("cleanup: connect: %w", err)
	}
	d := &Deleter{conn: conn, spec: spec, batch: batch}
	if err := d.init(ctx); err != nil {
		conn.Release()
		return nil, err
	}
	return d, nil
}

func (d *Deleter) init(ctx context.Context) error {
	relkind, err := checkKeysTable(ctx, d.conn, d.spec)
	if err != nil {
		return err
	}
	if relkind != "r" {
		return fmt.Errorf("cleanup: %s is not an ordinary table (relkind %s)", d.spec.Table, relkind)
	}
	var version int
	var reltuples float64
	var relpages int64
	err = d.conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int, c.reltuples,
		pg_relation_size(c.oid) / current_setting('block_size')::int FROM pg_class c WHERE c.oid = $1::regclass`,
		quote(d.spec.Table)).Scan(&version, &reltuples, &d.blocks)
	if err != nil {
		return fmt.Errorf("cleanup: table %s: %w", d.spec.Table, err)
	}
	if version < 140000 {
		return errors.New("cleanup: needs PostgreSQL 14 or later (it walks the table by TID ranges)")
	}
	var pk []int
	if d.cols, pk, err = tableShape(ctx, d.conn, d.spec.Table); err != nil {
		return err
	}
	if len(pk) == 0 {
		return fmt.Errorf("cleanup: %s has no primary key: an undo could not tell keys written again since", d.spec.Table)
	}
	for _, n := range []string{colCompany, colKeyType, colKeyID, d.spec.AgeColumn, d.spec.ExpiresColumn} {
		if n != "" && columnIndex(d.cols, n) < 0 {
			return fmt.Errorf("cleanup: %s has no column %s", d.spec.Table, n)
		}
	}
	// Rows per page from the statistics (none yet: assume small rows).
	relpages = max(d.blocks, 1)
	perPage := 50.0
	if reltuples > 0 {
		perPage = max(reltuples/float64(relpages), 1)
	}
	d.window = max(int64(math.Ceil(windowFactor*float64(d.batch)/perPage)), 1)
	var ret []string
	for _, col := range d.cols {
		ret = append(ret, fmt.Sprintf("x.%s::text", ident(col.Name)))
	}
	t, rule := quote(d.spec.Table), d.spec.deletableSQL("x")
	// No ORDER BY: a TID range scan returns rows in physical order, so LIMIT
	// stops reading as soon as it has enough, and the next batch starts after
	// the last row picked.
	d.pickSQL = fmt.Sprintf(`SELECT x.ctid::text FROM %s x
		WHERE x.ctid >= @lo::text::tid AND x.ctid < @hi::text::tid AND %s LIMIT @limit`, t, rule)
	// The delete reads the same range again, up to the last row picked when
	// the pick was full. Not "ctid = ANY(picked)": below ~20,000 pages the
	// planner prices a sequential scan of the whole table under as many
	// TID lookups, and would scan the table in every batch.
	d.purgeSQL = fmt.Sprintf(`DELETE FROM %s x
		WHERE x.ctid >= @lo::text::tid AND x.ctid < @end::text::tid AND %s RETURNING %s`, t, rule, strings.Join(ret, ", "))
	return nil
}

// Columns are the table's columns in the order batches return their values.
func (d *Deleter) Columns() []Column { return d.cols }

// Done reports whether the walk has passed the end of the table.
func (d *Deleter) Done() bool { return d.next.block >= d.blocks }

// Progress is how many of the table's pages the walk has passed.
func (d *Deleter) Progress() (pages, total int64) { return min(d.next.block, d.blocks), d.blocks }

// Next runs one batch in its own transaction: it deletes at most limit rows
// (at most the batch size; limit <= 0 means the batch size). Each deleted
// row's values (text, NULL as nil, in Columns order) go to row as they
// stream back; beforeCommit runs last, so the rows can be made durable
// before they are gone. An error from either rolls the batch back. On
// ErrBusy nothing changed and the same batch can be retried.
func (d *Deleter) Next(ctx context.Context, limit int, row func([]*string) error,
	beforeCommit func(deleted int) error) (Batch, error) {
	var b Batch
	if d.Done() {
		return b, nil
	}
	if limit <= 0 || limit > d.batch {
		limit = d.batch
	}
	hi := tid{block: min(d.next.block+d.window, d.blocks)}
	tx, err := d.conn.Begin(ctx)
	if err != nil {
		return b, fmt.Errorf("cleanup batch: begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) // a no-op once committed
	if err := setExactText(ctx, tx, BatchLockTimeout, BatchStatementTimeout); err != nil {
		return b, fmt.Errorf("cleanup batch: %w", err)
	}
	args := d.spec.args()
	args["lo"], args["hi"], args["limit"] = d.next.String(), hi.String(), limit
	picked, last, err := d.pick(ctx, tx, args)
	if err != nil {
		return b, err
	}
	// A full pick may have left rows in the range: stop just after it.
	end := hi
	if picked == limit {
		end = tid{last.block, last.offset + 1}
	}
	if picked > 0 {
		args["end"] = end.String()
		rows, err := tx.Query(ctx, d.purgeSQL, args)
		if err != nil {
			return b, batchErr(err)
		}
		for rows.Next() {
			vals := make([]*string, len(d.cols))
			dest := make([]any, len(vals))
			for i := range vals {
				dest[i] = &vals[i]
			}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return Batch{}, fmt.Errorf("cleanup batch: %w", err)
			}
			b.Deleted++
			if err := row(vals); err != nil {
				rows.Close()
				return Batch{}, err
			}
		}
		if err := rows.Err(); err != nil {
			return Batch{}, batchErr(err)
		}
	}
	if err := beforeCommit(b.Deleted); err != nil {
		return Batch{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		var pe *pgconn.PgError
		b.MaybeCommitted = !errors.As(err, &pe) // the server said no: rolled back
		if !b.MaybeCommitted {
			b.Deleted = 0
		}
		return b, fmt.Errorf("cleanup batch: commit: %w", err)
	}
	d.next = end
	return b, nil
}

// pick counts the deletable rows of the next range, up to the limit, and
// finds the last of them.
func (d *Deleter) pick(ctx context.Context, tx pgx.Tx, args pgx.NamedArgs) (int, tid, error) {
	rows, err := tx.Query(ctx, d.pickSQL, args)
	if err != nil {
		return 0, tid{}, batchErr(err)
	}
	picked, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, tid{}, batchErr(err)
	}
	var last tid
	for _, s := range picked {
		t, err := parseTID(s)
		if err != nil {
			return 0, tid{}, fmt.Errorf("cleanup batch: %w", err)
		}
		if t.block > last.block || t.block == last.block && t.offset > last.offset {
			last = t
		}
	}
	return len(picked), last, nil
}

// Close flushes this connection's table statistics (so dead tuples read next
// include the walk's deletions) and returns the connection to the pool.
func (d *Deleter) Close(ctx context.Context) {
	if d.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	// PostgreSQL 15+ flushes a backend's statistics lazily, up to seconds later.
	_, _ = d.conn.Exec(ctx, `DO $$ BEGIN
		IF current_setting('server_version_num')::int >= 150000 THEN PERFORM pg_stat_force_next_flush(); END IF;
		END $$`)
	_, _ = d.conn.Exec(ctx, "SELECT 1")
	d.conn.Release()
	d.conn = nil
}
