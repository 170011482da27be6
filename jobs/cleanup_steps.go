package jobs

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/backoff"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// busyRetries is how often a batch that met locked rows is tried again
// before the run fails; the waits between grow from 50 ms to 1 s, so a key
// the live service holds for up to ~15 s never fails a cleanup.
const busyRetries = 20

// busyFirstWait and busyMaxWait bound the waits between retries (variables
// so tests need not wait for real).
var busyFirstWait, busyMaxWait = 50 * time.Millisecond, time.Second

// vacuum runs VACUUM (ANALYZE) after a walk that deleted rows and was not
// stopped, reporting its progress and what it did.
func (c *Cleanup) vacuum(ctx context.Context, table vocab.Ident, r *CleanupReport, p *CleanupProgress, report func()) {
	v := &r.Vacuum
	switch {
	case !c.Config.Vacuum:
		v.Skipped = "off"
	case r.Deleted == 0:
		v.Skipped = "nothing deleted"
	case r.Stopped:
		v.Skipped = "stopped"
	}
	if v.Skipped != "" {
		return
	}
	v.Before, v.DeadBefore = r.AfterWalk, r.AfterWalk.DeadTuples
	p.Phase = PhaseVacuum
	start := time.Now()
	err := during(func() {
		if vp, ok, err := c.DB.VacuumProgress(ctx, table); err == nil && ok {
			p.VacuumScanned, p.VacuumTotal = vp.Scanned, vp.HeapBlocks
		}
		report()
	}, func() error { return c.DB.Vacuum(ctx, table) })
	v.Duration = time.Since(start)
	if err != nil {
		v.Error = oneLine(err.Error())
		if ctx.Err() != nil {
			v.Skipped = "stopped"
		}
		return
	}
	v.Ran = true
	post, cancel := context.WithTimeout(context.WithoutCancel(ctx), postTimeout)
	defer cancel()
	if sizes, err := c.DB.RelationSizes(post, table); err == nil {
		v.After, v.DeadAfter = sizes, sizes.DeadTuples
	}
}

// during runs fn, calling tick every progressEvery from a goroutine of its
// own until fn returns, so a long single statement still shows progress.
func during(tick func(), fn func() error) error {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				tick()
			}
		}
	}()
	err := fn()
	close(done)
	wg.Wait()
	return err
}

// retryBusy runs fn again while it fails with store.ErrBusy (its batch was
// rolled back whole), at most busyRetries times. It returns ctx's error when
// the context ends while waiting to retry.
func retryBusy(ctx context.Context, fn func() error, onRetry func()) error {
	wait := backoff.Backoff{Min: busyFirstWait, Max: busyMaxWait}
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !errors.Is(err, store.ErrBusy) || attempt > busyRetries {
			return err
		}
		if onRetry != nil {
			onRetry()
		}
		t := time.NewTimer(wait.Next())
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
