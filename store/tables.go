package store

import (
	"context"
	"fmt"

	"github.com/pgkeeper/pgkeeper/vocab"
)

// exactCountBytes is the table size under which an exact count(*) is cheap
// enough for /status; above it the planner's estimate is used instead.
const exactCountBytes = 64 << 20

// TableStats describes one table's size.
type TableStats struct {
	Table      vocab.Ident
	Rows       int64
	RowsExact  bool // false: Rows is the planner's estimate (pg_class.reltuples)
	TableBytes int64
	IndexBytes int64
	TotalBytes int64
}

// TableStats returns a table's sizes and its row count: exact for small tables,
// the catalog's estimate for large ones, so that /status stays fast at any size.
func (db *DB) TableStats(ctx context.Context, table vocab.Ident) (TableStats, error) {
	st := TableStats{Table: table}
	var reltuples float64
	err := db.pool.QueryRow(ctx, `
		SELECT c.reltuples, pg_table_size(c.oid), pg_indexes_size(c.oid), pg_total_relation_size(c.oid)
		FROM pg_class c WHERE c.oid = $1::regclass`, quote(table)).
		Scan(&reltuples, &st.TableBytes, &st.IndexBytes, &st.TotalBytes)
	if err != nil {
		return st, fmt.Errorf("size of %s: %w", table, err)
	}
	// reltuples is -1 for a table never vacuumed or analyzed.
	if st.TableBytes < exactCountBytes || reltuples < 0 {
		n, err := db.CountRows(ctx, table)
		if err != nil {
			return st, err
		}
		st.Rows, st.RowsExact = n, true
		return st, nil
	}
	st.Rows = int64(reltuples)
	return st, nil
}

// CountRows is the exact number of rows in table.
func (db *DB) CountRows(ctx context.Context, table vocab.Ident) (int64, error) {
	var n int64
	if err := db.pool.QueryRow(ctx, "SELECT count(*) FROM "+quote(table)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", table, err)
	}
	return n, nil
}
