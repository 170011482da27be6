package jobs_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// fire advances a fake clock past the next minute boundary and waits for runs.
func fire(t *testing.T, clock *clockwork.FakeClock, count func() int64, want int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatalf("scheduler never armed a timer: %v", err)
	}
	clock.Advance(time.Minute)
	deadline := time.Now().Add(10 * time.Second)
	for count() < want {
		if time.Now().After(deadline) {
			t.Fatalf("%d runs, want %d", count(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// retry lets a failed scheduled run retry n times, every after: each time it
// waits for the job's retry timer and the scheduler's next-run timer to be
// armed, then moves the clock past the retry.
func retry(t *testing.T, clock *clockwork.FakeClock, n int, every time.Duration) {
	t.Helper()
	for range n {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := clock.BlockUntilContext(ctx, 2)
		cancel()
		if err != nil {
			t.Fatalf("no retry armed: %v", err)
		}
		clock.Advance(every)
	}
}

type recordedCheckIns struct {
	mu     sync.Mutex
	events []string
}

func (r *recordedCheckIns) Started(job, cron string, _ *time.Location) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, "start "+job+" "+cron)
	return job
}

func (r *recordedCheckIns) Finished(_, job string, err error, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	status := "ok"
	if err != nil {
		status = "error"
	}
	r.events = append(r.events, status+" "+job)
}

func TestSchedulerFiresAndChecksIn(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2026, 3, 1, 2, 59, 30, 0, time.UTC))
	var runs atomic.Int64
	checks := &recordedCheckIns{}
	s, err := jobs.NewScheduler(context.Background(), jobs.SchedulerConfig{Clock: clock, CheckIns: checks}, []jobs.Scheduled{
		{Name: "backup", Cron: "* * * * *", Run: func(context.Context, time.Duration) error { runs.Add(1); return nil }},
		{Name: "off", Cron: "", Run: func(context.Context, time.Duration) error { t.Error("a job without a schedule ran"); return nil }},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	defer s.Shutdown()
	fire(t, clock, runs.Load, 1)
	if _, ok := s.Next("off"); ok {
		t.Error("a job with an empty schedule has a next run")
	}
	if next, ok := s.Next("backup"); !ok || !next.After(clock.Now()) {
		t.Errorf("next run %v %v", next, ok)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		checks.mu.Lock()
		n := len(checks.events)
		checks.mu.Unlock()
		if n >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(checks.events) < 2 || checks.events[0] != "start backup * * * * *" || checks.events[1] != "ok backup" {
		t.Fatalf("check-ins %v", checks.events)
	}
}

func TestTwoSchedulersOneRun(t *testing.T) {
	url := pgtest.NewDB(t)
	start := time.Date(2026, 3, 1, 2, 59, 30, 0, time.UTC)
	var runs atomic.Int64
	var clocks []*clockwork.FakeClock
	for _, instance := range []string{"a", "b"} {
		clock := clockwork.NewFakeClockAt(start)
		clocks = append(clocks, clock)
		s, err := jobs.NewScheduler(context.Background(), jobs.SchedulerConfig{
			Clock: clock, DB: openDB(t, url), Schema: "pgkeeper", Instance: instance,
		}, []jobs.Scheduled{{Name: "backup", Cron: "* * * * *", Run: func(context.Context, time.Duration) error {
			runs.Add(1)
			return nil
		}}})
		if err != nil {
			t.Fatal(err)
		}
		s.Start()
		defer s.Shutdown()
	}
	for i, c := range clocks {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := c.BlockUntilContext(ctx, 1); err != nil {
			t.Fatalf("scheduler %d not armed: %v", i, err)
		}
		cancel()
	}
	for _, c := range clocks {
		c.Advance(time.Minute)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runs.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // room for a wrong second run to show
	if got := pgtest.QueryInt(t, url, "SELECT count(*) FROM pgkeeper.schedule_claims WHERE job = 'backup'"); got != 1 {
		t.Errorf("%d claims for one slot", got)
	}
	if runs.Load() != 1 {
		t.Fatalf("two schedulers ran the slot %d times, want once", runs.Load())
	}
}

func TestSchedulerWaitsForHeavyJob(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2026, 3, 1, 2, 59, 30, 0, time.UTC))
	var tries atomic.Int64
	waitedCh := make(chan time.Duration, 1)
	s, err := jobs.NewScheduler(context.Background(), jobs.SchedulerConfig{Clock: clock, Retry: 10 * time.Second, WaitBound: time.Hour},
		[]jobs.Scheduled{{Name: "cleanup", Cron: "* * * * *", Run: func(_ context.Context, waited time.Duration) error {
			if tries.Add(1) < 3 {
				return jobs.ErrAlreadyRunning
			}
			waitedCh <- waited
			return nil
		}}})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	defer s.Shutdown()
	fire(t, clock, tries.Load, 1)
	retry(t, clock, 2, 10*time.Second)
	select {
	case waited := <-waitedCh:
		if waited < 20*time.Second {
			t.Fatalf("waited %s, want at least two retries' worth", waited)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("job never ran after waiting (tries %d)", tries.Load())
	}
}

func TestParseCron(t *testing.T) {
	for give, wantErr := range map[string]bool{"0 3 * * *": false, "30 3 * * *": false, "0 4 1 * *": false, "0 3 * *": true, "nope": true} {
		if err := jobs.ParseCron(give); (err != nil) != wantErr {
			t.Errorf("ParseCron(%q) = %v", give, err)
		}
	}
	if d, err := jobs.Interval("0 3 * * *", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil || d != 24*time.Hour {
		t.Errorf("Interval = %v, %v", d, err)
	}
}

func TestNextRun(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Berlin")
	from := time.Date(2026, 3, 1, 2, 30, 0, 0, loc)
	tests := []struct {
		name, give string
		want       time.Time
	}{
		{"later the same day", "0 3 * * *", time.Date(2026, 3, 1, 3, 0, 0, 0, loc)},
		{"tomorrow", "0 1 * * *", time.Date(2026, 3, 2, 1, 0, 0, 0, loc)},
		// The same instants whenever the process started: instances agree.
		{"every, aligned", "@every 7m", time.Date(2026, 3, 1, 2, 30, 0, 0, loc).Truncate(7 * time.Minute).Add(7 * time.Minute)},
		{"every second", "@every 1s", time.Date(2026, 3, 1, 2, 30, 1, 0, loc)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jobs.NextRun(tt.give, from)
			if err != nil || !got.Equal(tt.want) {
				t.Errorf("NextRun(%q) = %v, %v; want %v", tt.give, got, err, tt.want)
			}
		})
	}
	if _, err := jobs.NextRun("not cron", from); err == nil {
		t.Error("a bad expression gave no error")
	}
}

// LockWait tries again while another heavy job holds the lock, tells the run
// how long it waited, and gives up past the bound with ErrAlreadyRunning.
func TestLockWait(t *testing.T) {
	tests := []struct {
		name       string
		busyTimes  int // how many tries find the lock held
		wantTries  int
		wantGaveUp bool
	}{
		{"free at once", 0, 1, false},
		{"free on the third try", 2, 3, false},
		{"never free", 100, 4, true}, // at 0, 10, 20 and 30 s: 30 s is the bound
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := clockwork.NewFakeClock()
			var waits []time.Duration
			done := make(chan error, 1)
			go func() {
				done <- jobs.LockWait{Clock: clock, Retry: 10 * time.Second, WaitBound: 30 * time.Second}.Run(t.Context(),
					func(_ context.Context, waited time.Duration) error {
						waits = append(waits, waited)
						if len(waits) <= tt.busyTimes {
							return jobs.ErrAlreadyRunning
						}
						return nil
					})
			}()
			ticking, stop := context.WithCancel(t.Context())
			go func() {
				for clock.BlockUntilContext(ticking, 1) == nil {
					clock.Advance(10 * time.Second)
				}
			}()
			err := <-done
			stop()
			if len(waits) != tt.wantTries || errors.Is(err, jobs.ErrAlreadyRunning) != tt.wantGaveUp {
				t.Fatalf("tries waited %v, err %v; want %d tries, gave up %v", waits, err, tt.wantTries, tt.wantGaveUp)
			}
			for i, w := range waits {
				if w != time.Duration(i)*10*time.Second {
					t.Errorf("try %d waited %v, want %v", i, w, time.Duration(i)*10*time.Second)
				}
			}
		})
	}
}
