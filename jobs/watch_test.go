package jobs_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// A pool whose every connection is held by a long job is no outage: the
// watch connects on its own, as the database's other clients do.
func TestWatchIgnoresABusyPool(t *testing.T) {
	db := openDB(t, pgtest.NewDB(t)+"&pool_max_conns=1")
	lock, err := db.TryLock(context.Background(), "backup", "a long job", time.Now()) // holds the pool's only connection
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock(context.Background())
	var mu sync.Mutex
	var events []jobs.WatchEvent
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	w := &jobs.Watch{DB: db, Interval: 100 * time.Millisecond, FailAfter: 2}
	w.Run(ctx, func(ev jobs.WatchEvent) {
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	})
	if len(events) != 0 {
		t.Errorf("a busy pool raised %+v", events)
	}
}

// A check has its full time to connect however short the interval: with the
// interval as its deadline, 1 ms called a healthy database down (issue #11).
func TestWatchShortIntervalIsNoOutage(t *testing.T) {
	db := openDB(t, pgtest.NewDB(t))
	var mu sync.Mutex
	var events []jobs.WatchEvent
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	w := &jobs.Watch{DB: db, Interval: time.Millisecond, FailAfter: 2}
	w.Run(ctx, func(ev jobs.WatchEvent) {
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	})
	if len(events) != 0 {
		t.Errorf("a healthy database raised %+v", events)
	}
}

// Checked hears every check, a failure before FailAfter declares an outage
// and a recovery of a database never declared down included: the metrics'
// up gauge follows the database, not the alerts.
func TestWatchChecked(t *testing.T) {
	url := pgtest.NewDB(t)
	gate := pgtest.NewGate(t, url)
	db := openDB(t, gate.URL())
	checks := make(chan bool, 100)
	var events []jobs.WatchEvent
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	w := &jobs.Watch{DB: db, Interval: 50 * time.Millisecond, FailAfter: 1000, Checked: func(up bool) { checks <- up }}
	go func() {
		defer close(done)
		w.Run(ctx, func(ev jobs.WatchEvent) { events = append(events, ev) })
	}()
	want := func(up bool) {
		t.Helper()
		for deadline := time.After(10 * time.Second); ; {
			select {
			case got := <-checks:
				if got == up {
					return
				}
			case <-deadline:
				t.Fatalf("no check found the database up=%v", up)
			}
		}
	}
	want(false) // the gate starts closed
	gate.Open()
	want(true)
	cancel()
	<-done
	if len(events) != 0 {
		t.Errorf("changes of state below FailAfter: %+v", events)
	}
}
