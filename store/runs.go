package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgkeeper/pgkeeper/vocab"
)

const runColumns = "id, job, trigger, started_at, ended_at, outcome, error, figures, heartbeat_at, abandoned_at, abandoned_by"

func scanRun(row pgx.CollectableRow) (vocab.Run, error) {
	var r vocab.Run
	var ended, abandoned *time.Time
	var trigger, outcome string
	err := row.Scan(&r.ID, &r.Job, &trigger, &r.StartedAt, &ended, &outcome, &r.Error, &r.Figures,
		&r.HeartbeatAt, &abandoned, &r.AbandonedBy)
	r.Trigger, r.Outcome = vocab.Trigger(trigger), vocab.Outcome(outcome)
	if ended != nil {
		r.EndedAt = *ended
	}
	if abandoned != nil {
		r.AbandonedAt = *abandoned
	}
	return r, err
}

// StartRun records that job started at at, triggered by trigger, and returns
// the run's id for FinishRun. Until then the run's outcome is "running", and
// its process must call Heartbeat regularly, or AbandonRuns will take it for
// dead.
func (db *DB) StartRun(ctx context.Context, schema, job string, trigger vocab.Trigger, at time.Time) (int64, error) {
	return db.StartRunOf(ctx, schema, RunStart{Job: job, Trigger: trigger, At: at})
}

// RunStart is a run's start as StartRunOf records it.
type RunStart struct {
	Job     string
	Trigger vocab.Trigger
	At      time.Time
	// Slot is the scheduled tick the run is, as claimed (see Claim); zero
	// for a run that no schedule made (chat, shell, catch-up).
	Slot time.Time
	// Instance names the process that runs it ("host h pid 1"); empty: unknown.
	Instance string
}

// StartRunOf is StartRun with the run's tick and process.
func (db *DB) StartRunOf(ctx context.Context, schema string, r RunStart) (int64, error) {
	var slot *time.Time
	if !r.Slot.IsZero() {
		slot = &r.Slot
	}
	var id int64
	err := db.pool.QueryRow(ctx, fmt.Sprintf(
		"INSERT INTO %s (job, trigger, started_at, slot, instance) VALUES ($1, $2, $3, $4, $5) RETURNING id", table(schema, "job_runs")),
		r.Job, string(r.Trigger), r.At, slot, r.Instance).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("record start of %s: %w", r.Job, err)
	}
	return id, nil
}

// FinishRun records how run id ended: its outcome (ok, failed, warning,
// skipped), error text (empty for none) and figures, stored as JSON (nil:
// none). It replaces an abandoned mark: a run that went silent (its database
// restarted, say) and still reached its end knows best how it ended.
func (db *DB) FinishRun(ctx context.Context, schema string, id int64, at time.Time, outcome vocab.Outcome,
	errText string, figures any) error {
	var raw []byte
	if figures != nil {
		var err error
		if raw, err = json.Marshal(figures); err != nil {
			return fmt.Errorf("record end of run %d: figures: %w", id, err)
		}
	}
	tag, err := db.pool.Exec(ctx, fmt.Sprintf(
		`UPDATE %s SET ended_at = $2, outcome = $3, error = $4, figures = $5::jsonb,
		abandoned_at = NULL, abandoned_by = '' WHERE id = $1`, table(schema, "job_runs")),
		id, at, string(outcome), errText, raw)
	if err != nil {
		return fmt.Errorf("record end of run %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("record end of run %d: no such run", id)
	}
	return nil
}

// Heartbeat records that run id is still alive, by the database's clock (so
// that several machines' clocks never matter). It reports false when the run
// is no longer "running": it ended, or was taken for dead and abandoned.
func (db *DB) Heartbeat(ctx context.Context, schema string, id int64) (bool, error) {
	tag, err := db.pool.Exec(ctx, fmt.Sprintf(
		"UPDATE %s SET heartbeat_at = now() WHERE id = $1 AND outcome = 'running'", table(schema, "job_runs")), id)
	if err != nil {
		return false, fmt.Errorf("heartbeat of run %d: %w", id, err)
	}
	return tag.RowsAffected() == 1, nil
}

// AbandonRuns marks as abandoned every run still "running" whose last
// heartbeat is older than silence on the database's clock: its process died
// (killed, crashed, or cut off from the database) before recording its end.
// However long ago it started, a run that still beats is never touched.
// Each mark keeps the last heartbeat as the run's end, and when and by what
// (by, e.g. "serve start on host h pid 1") it was found. It returns the runs
// it marked.
func (db *DB) AbandonRuns(ctx context.Context, schema string, silence time.Duration, by string) ([]vocab.Run, error) {
	// greatest(): started_at is the process's clock, heartbeat_at the
	// server's; a run never ends before it started.
	rows, err := db.pool.Query(ctx, fmt.Sprintf(`
		UPDATE %s SET outcome = 'abandoned', ended_at = greatest(heartbeat_at, started_at),
			abandoned_at = now(), abandoned_by = $2,
			error = format('no sign of life since %%s UTC: its process stopped before recording the end '
				|| '(killed, crashed, or cut off from the database); found %%s UTC by %%s',
				to_char(heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
				to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), $2::text)
		WHERE outcome = 'running' AND heartbeat_at < now() - make_interval(secs => $1)
		RETURNING %s`, table(schema, "job_runs"), runColumns), silence.Seconds(), by)
	if err != nil {
		return nil, fmt.Errorf("abandon dead runs: %w", err)
	}
	runs, err := pgx.CollectRows(rows, scanRun)
	if err != nil {
		return nil, fmt.Errorf("abandon dead runs: %w", err)
	}
	return runs, nil
}

// LastRuns returns the newest limit runs, newest first, running ones included.
func (db *DB) LastRuns(ctx context.Context, schema string, limit int) ([]vocab.Run, error) {
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
func (db *DB) LastRunPerJob(ctx context.Context, schema string) (map[string]vocab.Run, error) {
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
	out := make(map[string]vocab.Run, len(runs))
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
