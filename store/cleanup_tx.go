package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Limits of one delete batch. The live service must never wait behind a
// cleanup: a batch that meets a row lock gives up after BatchLockTimeout
// (ErrBusy; the caller retries it) instead of queueing writers behind it.
const (
	BatchLockTimeout      = 100 * time.Millisecond
	BatchStatementTimeout = time.Minute
)

// ErrBusy means a batch met rows locked by another transaction (or a
// deadlock) and was rolled back whole; it is safe to retry.
var ErrBusy = errors.New("rows locked by another transaction")

// setExactText bounds the transaction's waits and makes every value's text
// form exact and unambiguous (ISO dates with their offset, all float digits,
// hex bytea), so values read as text can be written back unchanged. It also
// forces custom plans: pgx prepares statements, and a generic plan, costed
// without the range's bounds, could read the whole table in every batch.
func setExactText(ctx context.Context, tx pgx.Tx, lockTimeout, statementTimeout time.Duration) error {
	_, err := tx.Exec(ctx, `SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true),
		set_config('plan_cache_mode', 'force_custom_plan', true),
		set_config('datestyle', 'ISO, YMD', true), set_config('intervalstyle', 'postgres', true),
		set_config('extra_float_digits', '3', true), set_config('bytea_output', 'hex', true)`,
		fmt.Sprintf("%dms", lockTimeout.Milliseconds()), fmt.Sprintf("%dms", statementTimeout.Milliseconds()))
	return err
}

// batchErr marks lock timeouts and deadlocks as ErrBusy.
func batchErr(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "55P03" || pe.Code == "40P01") {
		return fmt.Errorf("cleanup batch: %w: %s", ErrBusy, pe.Message)
	}
	return fmt.Errorf("cleanup batch: %w", err)
}
