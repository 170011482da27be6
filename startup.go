package main

import (
	"context"
	"fmt"
	"html"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/backoff"
	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// awaitHistory prepares pgkeeper's schema, retrying with backoff for up to
// wait. In a compose file, or after the host rebooted, pgkeeper often starts
// before PostgreSQL accepts connections; giving up at the first refusal
// would leave the whole process without run history, outbox and the lock
// that keeps two instances from running the same job. It returns nil, and
// the last error, when the database did not take the schema in time.
func (a *app) awaitHistory(ctx context.Context, wait time.Duration) (*jobs.History, error) {
	deadline := time.Now().Add(wait)
	step := backoff.Backoff{Min: time.Second, Max: 15 * time.Second}
	for {
		h, err := a.prepareHistory(ctx)
		if err == nil {
			return h, nil
		}
		left := time.Until(deadline)
		if left <= 0 || ctx.Err() != nil {
			return nil, err
		}
		pause := min(step.Next(), left)
		a.log.Info("waiting for the database before starting", "retry_in", pause, "gives_up_in", left.Round(time.Second), "err", a.red.Error(err))
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(pause):
		}
	}
}

// degradedStart is the alert for a serve that started without its database:
// what is off, what still works, and what to do. reason must be redacted.
func degradedStart(schema string, waited time.Duration, reason string) string {
	return fmt.Sprintf("⚠️ <b>pgkeeper started without its database</b>: it did not answer for %s (%s).\n"+
		"Off until pgkeeper restarts: the run history (/history, /trends, last runs in /status), "+
		"the outbox that keeps alerts through Telegram outages, and the lock that keeps a second instance "+
		"from running the same scheduled job.\n"+
		"Scheduled jobs still run and report; /status shows the database's state.\n"+
		"What to do: bring the database back, then restart pgkeeper (it prepares schema %s at start).",
		humanize.Duration(waited), html.EscapeString(reason), html.EscapeString(schema))
}
