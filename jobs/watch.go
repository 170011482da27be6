package jobs

import (
	"context"
	"time"

	"github.com/pgkeeper/pgkeeper/store"
)

// Defaults of the database watch.
const (
	// DefaultWatchFailAfter is how many checks in a row must fail before the
	// admins hear of it: one lost packet or a restart of a few seconds is no
	// reason to wake anyone.
	DefaultWatchFailAfter = 2
	watchCheckTimeout     = 5 * time.Second
)

// Watch checks, between the scheduled jobs, that the guarded database
// answers, and says so once when it stops and once when it is back: the
// schedules run daily, an outage at noon should not wait for them.
type Watch struct {
	DB        *store.DB
	Interval  time.Duration
	FailAfter int // checks in a row; 0: DefaultWatchFailAfter
	Now       func() time.Time
	// Checked, when set, hears every check's answer (the metrics' up
	// gauge), not only the changes of state Run reports.
	Checked func(up bool)
}

// WatchEvent is a change of the database's state.
type WatchEvent struct {
	Down     bool
	Since    time.Time     // the first failed check of the outage
	Lasted   time.Duration // Down false: how long the outage lasted
	Failures int           // checks failed in a row when the outage was declared
	Error    string        // Down: the last check's error
}

func (w *Watch) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

// Run checks every Interval until ctx ends, calling change on each change of
// state: down after FailAfter failed checks in a row, up at the first check
// that passes after that.
func (w *Watch) Run(ctx context.Context, change func(WatchEvent)) {
	failAfter := w.FailAfter
	if failAfter <= 0 {
		failAfter = DefaultWatchFailAfter
	}
	tick := time.NewTicker(w.Interval)
	defer tick.Stop()
	// failures counts failed checks in a row; at failAfter or more the
	// database is down.
	var failures int
	var since time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		// A connection of its own, not one from the pool: heavy jobs may hold
		// the pool's connections for minutes, which is no outage, and a full
		// max_connections is one even while pgkeeper's pool is connected.
		// Its full time whatever the interval: cut to a short interval, a
		// check called a healthy database down while it was connecting.
		cctx, cancel := context.WithTimeout(ctx, watchCheckTimeout)
		err := w.DB.PingNew(cctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if w.Checked != nil {
			w.Checked(err == nil)
		}
		switch {
		case err == nil:
			if failures >= failAfter {
				change(WatchEvent{Since: since, Lasted: w.now().Sub(since)})
			}
			failures = 0
		default:
			if failures == 0 {
				since = w.now()
			}
			failures++
			if failures == failAfter {
				change(WatchEvent{Down: true, Since: since, Failures: failures, Error: oneLine(err.Error())})
			}
		}
	}
}
