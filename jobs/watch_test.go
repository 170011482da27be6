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
