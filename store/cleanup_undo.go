package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Column is one column of a table, with its type as format_type prints it.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// tableShape reads a table's insertable columns (generated ones left out) in
// order, and which of them make its primary key, in key order.
func tableShape(ctx context.Context, q queryer, table Ident) ([]Column, []int, error) {
	rows, err := q.Query(ctx, `
		SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attgenerated <> '',
		       coalesce(array_position(i.indkey::int2[], a.attnum), 0)
		FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
		WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum`, quote(table))
	if err != nil {
		return nil, nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	defer rows.Close()
	var cols []Column
	pkPos := map[int]int{} // position in the key -> column index
	for rows.Next() {
		var c Column
		var generated bool
		var pos int
		if err := rows.Scan(&c.Name, &c.Type, &generated, &pos); err != nil {
			return nil, nil, fmt.Errorf("columns of %s: %w", table, err)
		}
		if generated {
			if pos > 0 {
				return nil, nil, fmt.Errorf("columns of %s: generated column %s in the primary key", table, c.Name)
			}
			continue
		}
		if pos > 0 {
			pkPos[pos] = len(cols)
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	pk := make([]int, 0, len(pkPos))
	for p := 1; p <= len(pkPos); p++ {
		pk = append(pk, pkPos[p])
	}
	return cols, pk, nil
}

// TableColumns are a table's insertable columns, in order.
func (db *DB) TableColumns(ctx context.Context, table Ident) ([]Column, error) {
	cols, _, err := tableShape(ctx, db.pool, table)
	return cols, err
}

// RestoreRows puts rows (text values of cols, as a Deleter returned them)
// back into table, in one short transaction, and returns how many went in.
// A row whose key exists again (written since it was deleted) is skipped:
// what the live service wrote since wins. Like the delete, it refuses the
// credentials table, and waits for row locks at most BatchLockTimeout
// (ErrBusy: nothing changed, retry).
func (db *DB) RestoreRows(ctx context.Context, table, auth Ident, cols []Column, rows [][]*string) (int64, error) {
	if strings.EqualFold(table.Name, CredentialsTable) || table == auth {
		return 0, fmt.Errorf("%w %s", ErrCredentialsTable, table)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	var names, casts, params, aliases []string
	args := pgx.NamedArgs{}
	for i, c := range cols {
		vals := make([]*string, len(rows))
		for r, row := range rows {
			if len(row) != len(cols) {
				return 0, fmt.Errorf("restore into %s: row %d has %d values for %d columns", table, r, len(row), len(cols))
			}
			vals[r] = row[i]
		}
		names = append(names, ident(c.Name))
		casts = append(casts, fmt.Sprintf("u.c%d::%s", i, c.Type))
		params = append(params, fmt.Sprintf("@c%d::text[]", i))
		aliases = append(aliases, fmt.Sprintf("c%d", i))
		args[fmt.Sprintf("c%d", i)] = vals
	}
	// OVERRIDING SYSTEM VALUE: an identity column gets its old value back.
	q := fmt.Sprintf(`INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM unnest(%s) AS u(%s) ON CONFLICT DO NOTHING`,
		quote(table), strings.Join(names, ", "), strings.Join(casts, ", "), strings.Join(params, ", "), strings.Join(aliases, ", "))
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("restore into %s: %w", table, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var same bool
	if err := tx.QueryRow(ctx, `SELECT $1::regclass = to_regclass($2)`, quote(table), quote(auth)).Scan(&same); err != nil {
		return 0, fmt.Errorf("restore into %s: %w", table, err)
	}
	if same {
		return 0, fmt.Errorf("%w %s", ErrCredentialsTable, table)
	}
	if err := setExactText(ctx, tx, BatchLockTimeout, BatchStatementTimeout); err != nil {
		return 0, fmt.Errorf("restore into %s: %w", table, err)
	}
	tag, err := tx.Exec(ctx, q, args)
	if err != nil {
		return 0, batchErr(err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("restore into %s: commit: %w", table, err)
	}
	return tag.RowsAffected(), nil
}

func columnIndex(cols []Column, name string) int {
	for i, c := range cols {
		if c.Name == name {
			return i
		}
	}
	return -1
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
