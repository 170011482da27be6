package jobs

import (
	"sync"
	"time"
)

// ticker reports a restore test's progress: at each new step and at least once
// a second, always from its own goroutine, so the callback is never called
// concurrently. Run owns it: started at the beginning, closed at the end.
type ticker struct {
	fn    func(RestoreProgress)
	start time.Time // the run's start, for the report
	began time.Time // monotonic, for Elapsed
	fed   counter   // decompressed bytes given to pg_restore

	mu    sync.Mutex
	step  string
	total int64

	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

func startTicker(start time.Time, fn func(RestoreProgress)) *ticker {
	t := &ticker{fn: fn, start: start, began: time.Now(),
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if fn == nil {
		close(t.done)
		return t
	}
	go t.loop()
	return t
}

// set starts a step; total is the bytes it will feed, 0 when it feeds none.
func (t *ticker) set(step string, total int64) {
	t.mu.Lock()
	t.step, t.total = step, total
	t.mu.Unlock()
	select {
	case t.kick <- struct{}{}:
	default:
	}
}

func (t *ticker) loop() {
	defer close(t.done)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-t.kick:
		case <-tick.C:
		}
		t.mu.Lock()
		p := RestoreProgress{Step: t.step, TotalBytes: t.total, StartedAt: t.start, Elapsed: time.Since(t.began)}
		t.mu.Unlock()
		if p.TotalBytes > 0 {
			p.FedBytes = t.fed.n.Load()
		}
		t.fn(p)
	}
}

// close stops the reports and waits for the last one to return.
func (t *ticker) close() {
	select {
	case <-t.stop:
	default:
		close(t.stop)
	}
	<-t.done
}
