package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/pgkeeper/pgkeeper/vocab"
)

// Vacuum runs VACUUM (ANALYZE) on table, so the space of deleted rows is
// reused and the planner sees the new row count. Never FULL: that rewrites
// the table under an ACCESS EXCLUSIVE lock, stopping the live service for
// as long as it takes. TRUNCATE false too (PostgreSQL 12+): giving trailing
// empty pages back to the OS also needs an ACCESS EXCLUSIVE lock, however
// briefly, and a cleanup's freed space is scattered through the table anyway.
// It refuses the credentials table like every cleanup statement.
func (db *DB) Vacuum(ctx context.Context, table vocab.Ident) error {
	if strings.EqualFold(table.Name, CredentialsTable) {
		return fmt.Errorf("%w %s", ErrCredentialsTable, table)
	}
	num, _, err := db.ServerVersion(ctx)
	if err != nil {
		return err
	}
	opts := "ANALYZE"
	if num >= 120000 {
		opts += ", TRUNCATE false"
	}
	if _, err := db.pool.Exec(ctx, fmt.Sprintf("VACUUM (%s) %s", opts, quote(table))); err != nil {
		return fmt.Errorf("vacuum %s: %w", table, err)
	}
	return nil
}

// VacuumProgress is how far a running VACUUM of a table is, from
// pg_stat_progress_vacuum.
type VacuumProgress struct {
	Phase                 string
	HeapBlocks, Scanned   int64
	Vacuumed, IndexCycles int64
}

// VacuumProgress reads the progress of a VACUUM running on table; ok is false
// when none is (it has not started yet, or is analyzing).
func (db *DB) VacuumProgress(ctx context.Context, table vocab.Ident) (p VacuumProgress, ok bool, err error) {
	rows, err := db.pool.Query(ctx, `
		SELECT phase, heap_blks_total, heap_blks_scanned, heap_blks_vacuumed, index_vacuum_count
		FROM pg_stat_progress_vacuum WHERE relid = $1::regclass LIMIT 1`, quote(table))
	if err != nil {
		return p, false, fmt.Errorf("vacuum progress of %s: %w", table, err)
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&p.Phase, &p.HeapBlocks, &p.Scanned, &p.Vacuumed, &p.IndexCycles); err != nil {
			return p, false, fmt.Errorf("vacuum progress of %s: %w", table, err)
		}
		ok = true
	}
	return p, ok, rows.Err()
}
