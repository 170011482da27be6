package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Run is one recorded job run.
type Run struct {
	ID        int64
	Job       string
	Trigger   string // "schedule", "shell", or "chat:<user id>"
	StartedAt time.Time
	EndedAt   time.Time // zero while running
	Outcome   string    // ok, failed, warning, skipped, or running
	Error     string
	Figures   json.RawMessage // the job's figures as JSON; nil when none
}

// Running reports whether the run has not ended (or its process died).
func (r Run) Running() bool { return r.EndedAt.IsZero() }

// Duration is how long the run took; zero while it runs.
func (r Run) Duration() time.Duration {
	if r.Running() {
		return 0
	}
	return r.EndedAt.Sub(r.StartedAt)
}

const runColumns = "id, job, trigger, started_at, ended_at, outcome, error, figures"

func scanRun(row pgx.CollectableRow) (Run, error) {
	var r Run
	var ended *time.Time
	err := row.Scan(&r.ID, &r.Job, &r.Trigger, &r.StartedAt, &ended, &r.Outcome, &r.Error, &r.Figures)
	if ended != nil {
		r.EndedAt = *ended
	}
	return r, err
}

// StartRun records that job started at at, triggered by trigger, and returns
// the run's id for FinishRun. Until then the run's outcome is "running".
func (db *DB) StartRun(ctx context.Context, schema, job, trigger string, at time.Time) (int64, error) {
	var id int64
	err := db.pool.QueryRow(ctx, fmt.Sprintf(
		"INSERT INTO %s (job, trigger, started_at) VALUES ($1, $2, $3) RETURNING id", table(schema, "job_runs")),
		job, trigger, at).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("record start of %s: %w", job, err)
	}
	return id, nil
}

// FinishRun records how run id ended: its outcome (ok, failed, warning,
// skipped), error text (empty for none) and figures, stored as JSON (nil:
// none).
func (db *DB) FinishRun(ctx context.Context, schema string, id int64, at time.Time, outcome, errText string, figures any) error {
	var raw []byte
	if figures != nil {
		var err error
		if raw, err = json.Marshal(figures); err != nil {
			return fmt.Errorf("record end of run %d: figures: %w", id, err)
		}
	}
	tag, err := db.pool.Exec(ctx, fmt.Sprintf(
		"UPDATE %s SET ended_at = $2, outcome = $3, error = $4, figures = $5::jsonb WHERE id = $1", table(schema, "job_runs")),
		id, at, outcome, errText, raw)
	if err != nil {
		return fmt.Errorf("record end of run %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("record end of run %d: no such run", id)
	}
	return nil
}

// AbandonRuns marks runs still "running" that started before cutoff as
// failed: their process died before recording an end. Call it at start with
// a cutoff older than any job can take, so that another instance's live run
// is never touched. It returns how many it marked.
func (db *DB) AbandonRuns(ctx context.Context, schema string, cutoff, now time.Time) (int64, error) {
	tag, err := db.pool.Exec(ctx, fmt.Sprintf(`
		UPDATE %s SET ended_at = $2, outcome = 'failed', error = 'pgkeeper stopped before the run ended'
		WHERE outcome = 'running' AND started_at < $1`, table(schema, "job_runs")), cutoff, now)
	if err != nil {
		return 0, fmt.Errorf("abandon stale runs: %w", err)
	}
	return tag.RowsAffected(), nil
}

// LastRuns returns the newest limit runs, newest first, running ones included.
func (db *DB) LastRuns(ctx context.Context, schema string, limit int) ([]Run, error) {
	rows, err := db.pool.Query(ctx, fmt.Sprintf(
		"SELECT %s FROM %s ORDER BY started_at DESC, id DESC LIMIT $1", runColumns, table(schema, "job_runs")), limit)
	if err != nil {
		return nil, fmt.Errorf("last runs: %w", err)
	}
	runs, err := pgx.CollectRows(rows, scanRun)
	if err != nil {
		return nil, fmt.Errorf("last runs: %w", err)
	}
	return runs, nil
}

// LastRunPerJob returns each job's newest finished run, by job name. A run
// still going is left out: the last outcome is what /schedule and /status
// show, and a running row has none yet.
func (db *DB) LastRunPerJob(ctx context.Context, schema string) (map[string]Run, error) {
	rows, err := db.pool.Query(ctx, fmt.Sprintf(`
		SELECT DISTINCT ON (job) %s FROM %s WHERE outcome <> 'running'
		ORDER BY job, started_at DESC, id DESC`, runColumns, table(schema, "job_runs")))
	if err != nil {
		return nil, fmt.Errorf("last run per job: %w", err)
	}
	runs, err := pgx.CollectRows(rows, scanRun)
	if err != nil {
		return nil, fmt.Errorf("last run per job: %w", err)
	}
	out := make(map[string]Run, len(runs))
	for _, r := range runs {
		out[r.Job] = r
	}
	return out, nil
}

// DeleteRun forgets run id: a scheduled attempt that will be retried.
func (db *DB) DeleteRun(ctx context.Context, schema string, id int64) error {
	if _, err := db.pool.Exec(ctx, fmt.Sprintf("DELETE FROM %s WHERE id = $1", table(schema, "job_runs")), id); err != nil {
		return fmt.Errorf("forget run %d: %w", id, err)
	}
	return nil
}
