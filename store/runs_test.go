package store_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/store"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func TestRunsAreRecordedAndReadBack(t *testing.T) {
	db, _ := migratedDB(t)
	ctx := t.Context()
	const s = store.DefaultSchema
	t0 := mustTime(t, "2026-11-28T03:00:00Z")

	backup, err := db.StartRun(ctx, s, "backup", "schedule", t0)
	if err != nil {
		t.Fatal(err)
	}
	figures := map[string]any{"bytes": 123456, "verified": true}
	if err := db.FinishRun(ctx, s, backup, t0.Add(90*time.Second), "ok", "", figures); err != nil {
		t.Fatal(err)
	}
	cleanup, _ := db.StartRun(ctx, s, "cleanup", "chat:1001", t0.Add(time.Hour))
	if err := db.FinishRun(ctx, s, cleanup, t0.Add(time.Hour+time.Second), "failed", "keys table locked", nil); err != nil {
		t.Fatal(err)
	}
	running, _ := db.StartRun(ctx, s, "backup", "shell", t0.Add(2*time.Hour))

	runs, err := db.LastRuns(ctx, s, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 || runs[0].ID != running || runs[1].ID != cleanup || runs[2].ID != backup {
		t.Fatalf("LastRuns not newest first: %+v", runs)
	}
	if !runs[0].Running() || runs[0].Outcome != "running" || runs[0].Duration() != 0 || runs[0].Trigger != "shell" {
		t.Errorf("running run = %+v", runs[0])
	}
	if r := runs[1]; r.Outcome != "failed" || r.Error != "keys table locked" || r.Figures != nil || r.Trigger != "chat:1001" {
		t.Errorf("failed run = %+v", r)
	}
	b := runs[2]
	if b.Job != "backup" || b.Outcome != "ok" || b.Duration() != 90*time.Second || !b.StartedAt.Equal(t0) {
		t.Errorf("ok run = %+v", b)
	}
	var got struct {
		Bytes    int64
		Verified bool
	}
	if err := json.Unmarshal(b.Figures, &got); err != nil || got.Bytes != 123456 || !got.Verified {
		t.Errorf("figures = %s (%v)", b.Figures, err)
	}

	if runs, _ := db.LastRuns(ctx, s, 1); len(runs) != 1 || runs[0].ID != running {
		t.Errorf("LastRuns(1) = %+v", runs)
	}

	last, err := db.LastRunPerJob(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(last) != 2 || last["backup"].ID != backup || last["cleanup"].ID != cleanup {
		t.Errorf("LastRunPerJob must skip the running backup: %+v", last)
	}
}

func TestFinishUnknownRun(t *testing.T) {
	db, _ := migratedDB(t)
	if err := db.FinishRun(t.Context(), store.DefaultSchema, 999, time.Now(), "ok", "", nil); err == nil {
		t.Fatal("finishing a run that was never started must fail")
	}
}

// A run is abandoned when its heartbeat stopped, judged on the database's
// clock; a run that still beats is never touched, however old. The mark
// keeps the last heartbeat as the end, and when and by what it was found; a
// real end recorded later replaces it.
func TestAbandonRuns(t *testing.T) {
	db, url := migratedDB(t)
	ctx := t.Context()
	const s = store.DefaultSchema
	now := time.Now()
	dead, _ := db.StartRun(ctx, s, "backup", "schedule", now.Add(-time.Hour))
	pgtest.Exec(t, url, "UPDATE pgkeeper.job_runs SET heartbeat_at = now() - interval '10 minutes' WHERE id = $1", dead)
	// Started 30 days ago, by a clock far off, and still beating.
	live, _ := db.StartRun(ctx, s, "cleanup", "schedule", now.Add(-30*24*time.Hour))
	if alive, err := db.Heartbeat(ctx, s, live); err != nil || !alive {
		t.Fatalf("Heartbeat = %v, %v", alive, err)
	}
	done, _ := db.StartRun(ctx, s, "summary", "schedule", now.Add(-2*time.Hour))
	_ = db.FinishRun(ctx, s, done, now.Add(-2*time.Hour+time.Second), "ok", "", nil)
	pgtest.Exec(t, url, "UPDATE pgkeeper.job_runs SET heartbeat_at = now() - interval '2 hours' WHERE id = $1", done)

	got, err := db.AbandonRuns(ctx, s, time.Minute, "serve start on host h pid 7")
	if err != nil || len(got) != 1 || got[0].ID != dead {
		t.Fatalf("AbandonRuns = %+v, %v; want run %d alone", got, err, dead)
	}
	runs, _ := db.LastRuns(ctx, s, 10)
	for _, r := range runs {
		switch r.ID {
		case dead:
			if r.Outcome != "abandoned" || r.AbandonedBy != "serve start on host h pid 7" || r.AbandonedAt.IsZero() ||
				!r.EndedAt.Equal(r.HeartbeatAt) || !strings.Contains(r.Error, "found") || !strings.Contains(r.Error, "pid 7") {
				t.Errorf("dead run = %+v", r)
			}
		case live:
			if !r.Running() || r.Outcome != "running" {
				t.Errorf("a live run was abandoned: %+v", r)
			}
		case done:
			if r.Outcome != "ok" {
				t.Errorf("an ended run was touched: %+v", r)
			}
		}
	}
	if alive, err := db.Heartbeat(ctx, s, dead); err != nil || alive {
		t.Errorf("Heartbeat of an abandoned run = %v, %v; want false", alive, err)
	}
	if again, err := db.AbandonRuns(ctx, s, time.Minute, "x"); err != nil || len(again) != 0 {
		t.Errorf("a second sweep marked %+v, %v", again, err)
	}
	if last, _ := db.LastRunPerJob(ctx, s); last["backup"].ID != dead {
		t.Errorf("an abandoned run is not its job's last run: %+v", last)
	}

	// Its process lived after all (its database was away), and records the end.
	if err := db.FinishRun(ctx, s, dead, now, "ok", "", nil); err != nil {
		t.Fatal(err)
	}
	runs, _ = db.LastRuns(ctx, s, 10)
	for _, r := range runs {
		if r.ID == dead && (r.Outcome != "ok" || r.AbandonedBy != "" || !r.AbandonedAt.IsZero() || r.Error != "") {
			t.Errorf("the real end did not replace the mark: %+v", r)
		}
	}
}

// Migration 3 applies to a schema an older pgkeeper left, runs and all: a run
// left "running" by a process killed before the upgrade is abandoned at the
// first sweep, and the new outcome passes the check.
func TestMigrateAddsHeartbeatsToAnExistingSchema(t *testing.T) {
	dbURL := pgtest.NewDB(t)
	db := openDB(t, dbURL)
	ctx := t.Context()
	const s = store.DefaultSchema
	restore := store.MigrationsUpTo(2)
	err := db.Migrate(ctx, s)
	restore()
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now().Add(-3 * 24 * time.Hour)
	pgtest.Exec(t, dbURL, "INSERT INTO pgkeeper.job_runs (job, trigger, started_at) VALUES ('backup', 'schedule', $1)", started)
	if err := db.Migrate(ctx, s); err != nil {
		t.Fatal(err)
	}
	got, err := db.AbandonRuns(ctx, s, time.Minute, "serve start")
	if err != nil || len(got) != 1 || got[0].Outcome != "abandoned" || !got[0].EndedAt.Equal(got[0].StartedAt) {
		t.Fatalf("AbandonRuns after the upgrade = %+v, %v", got, err)
	}
}
