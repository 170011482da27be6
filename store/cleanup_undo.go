package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgkeeper/pgkeeper/vocab"
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
func tableShape(ctx context.Context, q queryer, table vocab.Ident) ([]Column, []int, error) {
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
func (db *DB) TableColumns(ctx context.Context, table vocab.Ident) ([]Column, error) {
	cols, _, err := tableShape(ctx, db.pool, table)
	return cols, err
}

// RestoreRows puts rows (text values of cols, as a Deleter returned them)
// back into table, in one short transaction, and returns how many went in
// and how many were already there exactly as given (never deleted: a batch
// that did not commit, or put back by an earlier undo). Any other row whose
// key exists again was written since it was deleted, and is skipped: what
// the live service wrote since wins. Like the delete, it refuses the
// credentials table, and waits for row locks at most BatchLockTimeout
// (ErrBusy: nothing changed, retry).
func (db *DB) RestoreRows(ctx context.Context, table, auth vocab.Ident, cols []Column,
	rows [][]*string) (inserted, unchanged int64, _ error) {
	if strings.EqualFold(table.Name, CredentialsTable) || table == auth {
		return 0, 0, fmt.Errorf("%w %s", ErrCredentialsTable, table)
	}
	if len(rows) == 0 {
		return 0, 0, nil
	}
	var names, casts, params, aliases, same []string
	args := pgx.NamedArgs{}
	for i, c := range cols {
		vals := make([]*string, len(rows))
		for r, row := range rows {
			if len(row) != len(cols) {
				return 0, 0, fmt.Errorf("restore into %s: row %d has %d values for %d columns", table, r, len(row), len(cols))
			}
			vals[r] = row[i]
		}
		names = append(names, ident(c.Name))
		casts = append(casts, fmt.Sprintf("u.c%d::%s", i, c.Type))
		params = append(params, fmt.Sprintf("@c%d::text[]", i))
		aliases = append(aliases, fmt.Sprintf("c%d", i))
		// Text against text: the values were read under the same exact settings.
		same = append(same, fmt.Sprintf("t.%s::text IS NOT DISTINCT FROM u.c%d", ident(c.Name), i))
		args[fmt.Sprintf("c%d", i)] = vals
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("restore into %s: %w", table, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var isAuth bool
	if err := tx.QueryRow(ctx, `SELECT $1::regclass = to_regclass($2)`, quote(table), quote(auth)).Scan(&isAuth); err != nil {
		return 0, 0, fmt.Errorf("restore into %s: %w", table, err)
	}
	if isAuth {
		return 0, 0, fmt.Errorf("%w %s", ErrCredentialsTable, table)
	}
	tableCols, pk, err := tableShape(ctx, tx, table)
	if err != nil {
		return 0, 0, fmt.Errorf("restore into %s: %w", table, err)
	}
	// Rows already there are found by key (an index lookup), then compared
	// whole; without every key column among cols none is counted as there.
	match := "false"
	if len(pk) > 0 {
		match = strings.Join(same, " AND ")
		for _, k := range pk {
			i := columnIndex(cols, tableCols[k].Name)
			if i < 0 {
				match = "false"
				break
			}
			match += fmt.Sprintf(" AND t.%s = u.c%d::%s", ident(cols[i].Name), i, cols[i].Type)
		}
	}
	from := fmt.Sprintf("unnest(%s) AS u(%s)", strings.Join(params, ", "), strings.Join(aliases, ", "))
	// One statement: the count of rows already there sees the table as it was
	// before the insert (a data-modifying WITH shares one snapshot).
	// OVERRIDING SYSTEM VALUE: an identity column gets its old value back.
	q := fmt.Sprintf(`WITH ins AS (INSERT INTO %[1]s (%[2]s) OVERRIDING SYSTEM VALUE
			SELECT %[3]s FROM %[4]s ON CONFLICT DO NOTHING RETURNING 1)
		SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM %[4]s WHERE EXISTS (SELECT 1 FROM %[1]s t WHERE %[5]s))`,
		quote(table), strings.Join(names, ", "), strings.Join(casts, ", "), from, match)
	if err := setExactText(ctx, tx, BatchLockTimeout, BatchStatementTimeout); err != nil {
		return 0, 0, fmt.Errorf("restore into %s: %w", table, err)
	}
	if err := tx.QueryRow(ctx, q, args).Scan(&inserted, &unchanged); err != nil {
		return 0, 0, batchErr(err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, 0, fmt.Errorf("restore into %s: commit: %w", table, err)
	}
	return inserted, unchanged, nil
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
