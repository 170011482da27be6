package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/backoff"
	"github.com/pgkeeper/pgkeeper/internal/redact"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// AwaitHistory prepares pgkeeper's schema (prepare), retrying with backoff
// for up to wait. In a compose file, or after the host rebooted, pgkeeper
// often starts before PostgreSQL accepts connections; giving up at the first
// refusal would leave the whole process without run history, outbox and the
// lock that keeps two instances from running the same job. It returns nil,
// and the last error, when the database did not take the schema in time.
func AwaitHistory(ctx context.Context, wait time.Duration, prepare func(context.Context) (*jobs.History, error),
	log *slog.Logger, red *redact.Redactor) (*jobs.History, error) {
	deadline := time.Now().Add(wait)
	step := backoff.Backoff{Min: time.Second, Max: 15 * time.Second}
	for {
		h, err := prepare(ctx)
		if err == nil {
			return h, nil
		}
		left := time.Until(deadline)
		if left <= 0 || ctx.Err() != nil {
			return nil, err
		}
		pause := min(step.Next(), left)
		log.Info("waiting for the database before starting",
			"retry_in", pause, "gives_up_in", left.Round(time.Second), "err", red.Error(err))
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(pause):
		}
	}
}
