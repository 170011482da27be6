package jobs_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// An @every schedule ticks on the same instants in every instance, whenever
// each started, and each tick runs once: two schedulers that started 1.7 s
// apart share "@every 10s" ticks, three ticks run three times in all (a
// claim per minute ran one), and each run's history records its tick.
func TestEveryTicksRunOnceEach(t *testing.T) {
	url := pgtest.NewDB(t)
	start := time.Date(2026, 3, 1, 2, 59, 30, 300_000_000, time.UTC)
	var runs atomic.Int64
	var clocks []*clockwork.FakeClock
	for i, instance := range []string{"a", "b"} {
		clock := clockwork.NewFakeClockAt(start.Add(time.Duration(i) * 1700 * time.Millisecond))
		clocks = append(clocks, clock)
		db := openDB(t, url)
		hist := &jobs.History{DB: db, Now: clock.Now}
		s, err := jobs.NewScheduler(context.Background(), jobs.SchedulerConfig{
			Clock: clock, DB: db, Schema: "pgkeeper", Instance: instance, History: hist,
		}, []jobs.Scheduled{{Name: "backup", Cron: "@every 10s", Run: func(ctx context.Context, _ time.Duration) error {
			runs.Add(1)
			hist.Start(ctx, "backup", "schedule").Finish(ctx, nil, "", nil)
			return nil
		}}})
		if err != nil {
			t.Fatal(err)
		}
		s.Start()
		defer s.Shutdown()
	}
	ticks := []time.Time{start.Truncate(10 * time.Second).Add(10 * time.Second)}
	ticks = append(ticks, ticks[0].Add(10*time.Second), ticks[0].Add(20*time.Second))
	for k, tick := range ticks {
		for i, c := range clocks {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := c.BlockUntilContext(ctx, 1); err != nil {
				t.Fatalf("scheduler %d not armed for tick %d: %v", i, k, err)
			}
			cancel()
			c.Advance(tick.Add(5 * time.Millisecond).Sub(c.Now()))
		}
		deadline := time.Now().Add(5 * time.Second)
		for runs.Load() < int64(k+1) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // room for a wrong second run to show
		if got := runs.Load(); got != int64(k+1) {
			t.Fatalf("after tick %d: %d runs, want %d", k, got, k+1)
		}
	}
	for _, tick := range ticks {
		if n := pgtest.QueryInt(t, url, "SELECT count(*) FROM pgkeeper.schedule_claims WHERE job = 'backup' AND slot = $1", tick); n != 1 {
			t.Errorf("tick %s: %d claims, want 1", tick.Format(time.TimeOnly), n)
		}
		if n := pgtest.QueryInt(t, url, "SELECT count(*) FROM pgkeeper.job_runs WHERE job = 'backup' AND slot = $1 AND instance <> ''", tick); n != 1 {
			t.Errorf("tick %s: %d runs recorded with it, want 1", tick.Format(time.TimeOnly), n)
		}
	}
}
