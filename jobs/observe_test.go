package jobs_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// observed records what a History's Observer hears.
type observed struct {
	mu      sync.Mutex
	events  []string
	backup  jobs.Manifest
	statuss int
}

func (o *observed) ObserveJob(job string, ok bool, took time.Duration, at time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, job+map[bool]string{true: " ok", false: " failed"}[ok])
}

func (o *observed) ObserveBackup(m jobs.Manifest) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.backup = m
}

func (o *observed) ObserveRestore(rto, rpo time.Duration) {}

func (o *observed) ObserveRemotes(time.Time, []jobs.RemoteOutcome) {}

func (o *observed) ObserveStatus(jobs.StatusReport) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.statuss++
}

func (o *observed) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.Join(o.events, ", ")
}

func TestObserverHearsEveryRecordedRun(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 100, Days: 10})
	h := historyOn(t)
	obs := &observed{}
	h.Observer = obs
	b := jobs.RecordedBackup{Backup: backupJob(t, url, t.TempDir(), pgtest.BinDir(t)), History: h}
	r, err := b.Run(t.Context(), jobs.BackupOptions{Trigger: vocab.TriggerShell}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := obs.String(); got != "backup ok" {
		t.Errorf("observer heard %q, want the backup's success", got)
	}
	if obs.backup.Name != r.Manifest.Name || obs.backup.CompressedBytes != r.Manifest.CompressedBytes {
		t.Errorf("observer's backup %+v, want %s", obs.backup.Name, r.Manifest.Name)
	}
	h.Start(t.Context(), "cleanup", vocab.TriggerShell).Finish(t.Context(), nil, "", errors.New("boom"))
	h.Start(t.Context(), "cleanup", vocab.TriggerShell).Finish(t.Context(), nil, "", jobs.ErrAlreadyRunning)
	if got := obs.String(); got != "backup ok, cleanup failed" {
		t.Errorf("observer heard %q; a skipped run must leave the last outcome standing", got)
	}
	st := (&jobs.Status{DB: openDB(t, url), History: h}).Run(t.Context())
	if obs.statuss != 1 {
		t.Errorf("observer heard %d status reports, want 1", obs.statuss)
	}
	// The same report carries each job's last run, for /status.
	if b, c := st.LastRuns["backup"], st.LastRuns["cleanup"]; b.Outcome != "ok" || c.Outcome != "skipped" || len(st.LastRuns) != 2 {
		t.Errorf("status report's last runs: %+v", st.LastRuns)
	}
}

func TestScheduledRetriesRecordOneRun(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 50, Days: 10})
	h := historyOn(t)
	bdb := openDB(t, url)
	lock, err := bdb.TryLock(t.Context(), "cleanup", "test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock(context.Background())
	b := jobs.RecordedBackup{Backup: backupJob(t, url, t.TempDir(), pgtest.BinDir(t)), History: h}
	for i := 0; i < 3; i++ {
		if _, err := b.Run(t.Context(), jobs.BackupOptions{Trigger: vocab.TriggerSchedule}, nil); !errors.Is(err, jobs.ErrAlreadyRunning) {
			t.Fatalf("scheduled backup under another job's lock: %v", err)
		}
	}
	if rep, _ := h.Report(t.Context(), 10); len(rep.Runs) != 0 {
		t.Fatalf("scheduled retries left %d rows, want none: %+v", len(rep.Runs), rep.Runs)
	}
	if _, err := b.Run(t.Context(), jobs.BackupOptions{Trigger: vocab.TriggerShell}, nil); !errors.Is(err, jobs.ErrAlreadyRunning) {
		t.Fatalf("shell backup under another job's lock: %v", err)
	}
	if rep, _ := h.Report(t.Context(), 10); len(rep.Runs) != 1 || rep.Runs[0].Outcome != "skipped" {
		t.Fatalf("a shell run that found the lock taken: %+v, want one skipped row", rep.Runs)
	}
}

func TestSchedulerRecordsGivingUpOnce(t *testing.T) {
	h := historyOn(t)
	clock := clockwork.NewFakeClockAt(time.Date(2026, 3, 1, 2, 59, 30, 0, time.UTC))
	var mu sync.Mutex
	tries := 0
	count := func() int64 { mu.Lock(); defer mu.Unlock(); return int64(tries) }
	gaveUp := make(chan string, 1)
	s, err := jobs.NewScheduler(context.Background(), jobs.SchedulerConfig{Clock: clock, History: h, Retry: 10 * time.Second, WaitBound: 20 * time.Second,
		GaveUp: func(_ context.Context, job string, err error) { gaveUp <- job + ": " + err.Error() }},
		[]jobs.Scheduled{{Name: "backup", Cron: "* * * * *", Run: func(context.Context, time.Duration) error {
			mu.Lock()
			tries++
			mu.Unlock()
			return jobs.ErrAlreadyRunning
		}}})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	defer s.Shutdown()
	fire(t, clock, count, 1)
	retry(t, clock, 2, 10*time.Second)
	deadline := time.Now().Add(5 * time.Second)
	var runs []string
	for time.Now().Before(deadline) {
		rep, err := h.Report(t.Context(), 10)
		if err != nil {
			t.Fatal(err)
		}
		runs = runs[:0]
		ended := true
		for _, r := range rep.Runs {
			runs = append(runs, r.Job+" "+string(r.Outcome)+" "+r.Error)
			ended = ended && !r.Running()
		}
		// The row exists from the run's start: wait for its end.
		if len(runs) > 0 && ended {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if count() != 3 || len(runs) != 1 || !strings.HasPrefix(runs[0], "backup failed gave up after waiting 20s") {
		t.Fatalf("%d tries recorded as %q; want 3 tries and one failed row saying it gave up", count(), runs)
	}
	select {
	case got := <-gaveUp:
		if !strings.HasPrefix(got, "backup: gave up") {
			t.Errorf("GaveUp heard %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Error("GaveUp was never told")
	}
}
