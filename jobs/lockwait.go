package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jonboulle/clockwork"
)

// How long a heavy job waits for another to release the lock, and how often
// it tries again meanwhile.
const (
	DefaultLockWaitBound = 2 * time.Hour
	DefaultLockRetry     = 30 * time.Second
)

// LockWait runs a heavy job that may find another holding the lock
// (ErrAlreadyRunning): it tries again every Retry until WaitBound has passed.
type LockWait struct {
	Clock     clockwork.Clock // nil: the wall clock
	Retry     time.Duration   // 0: DefaultLockRetry
	WaitBound time.Duration   // 0: DefaultLockWaitBound
}

// Run calls run, with how long it has waited so far, until it does not return
// ErrAlreadyRunning. Past WaitBound it gives up with an error that wraps
// ErrAlreadyRunning; when ctx ends while waiting, it returns ctx's error.
func (w LockWait) Run(ctx context.Context, run func(ctx context.Context, waited time.Duration) error) error {
	clock, retry, bound := w.Clock, w.Retry, w.WaitBound
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	if retry == 0 {
		retry = DefaultLockRetry
	}
	if bound == 0 {
		bound = DefaultLockWaitBound
	}
	start := clock.Now()
	for {
		waited := clock.Since(start)
		err := run(ctx, waited)
		if !errors.Is(err, ErrAlreadyRunning) {
			return err
		}
		if waited >= bound {
			return fmt.Errorf("gave up after waiting %s for another job: %w", waited.Round(time.Second), err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-clock.After(retry):
		}
	}
}
