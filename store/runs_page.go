package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pgkeeper/pgkeeper/vocab"
)

// RunFilter picks runs by job and by outcome: a run matches when its job is
// one of Jobs and its outcome one of Outcomes; an empty list matches all.
type RunFilter struct {
	Jobs     []string
	Outcomes []vocab.Outcome
}

// Runs returns the runs f matches, newest first, skipping offset of them
// and returning at most limit, with how many match in all. An offset past
// the end gives no runs and the total.
func (db *DB) Runs(ctx context.Context, schema string, f RunFilter, limit, offset int) ([]vocab.Run, int, error) {
	outcomes := make([]string, len(f.Outcomes))
	for i, o := range f.Outcomes {
		outcomes[i] = string(o)
	}
	jobs := f.Jobs
	if jobs == nil {
		jobs = []string{}
	}
	// An empty array means "any": cardinality() rather than two statements.
	where := "WHERE (cardinality($1::text[]) = 0 OR job = ANY($1)) AND (cardinality($2::text[]) = 0 OR outcome = ANY($2))"
	var total int
	if err := db.pool.QueryRow(ctx, fmt.Sprintf("SELECT count(*) FROM %s %s", table(schema, "job_runs"), where),
		jobs, outcomes).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count runs: %w", err)
	}
	rows, err := db.pool.Query(ctx, fmt.Sprintf("SELECT %s FROM %s %s ORDER BY started_at DESC, id DESC LIMIT $3 OFFSET $4",
		runColumns, table(schema, "job_runs"), where), jobs, outcomes, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("runs: %w", err)
	}
	runs, err := pgx.CollectRows(rows, scanRun)
	if err != nil {
		return nil, 0, fmt.Errorf("runs: %w", err)
	}
	return runs, total, nil
}
