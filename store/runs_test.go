package store_test

import (
	"encoding/json"
	"testing"
	"time"

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

func TestAbandonRuns(t *testing.T) {
	db, _ := migratedDB(t)
	ctx := t.Context()
	const s = store.DefaultSchema
	now := mustTime(t, "2026-11-28T12:00:00Z")
	old, _ := db.StartRun(ctx, s, "backup", "schedule", now.Add(-30*time.Hour))
	live, _ := db.StartRun(ctx, s, "cleanup", "schedule", now.Add(-time.Minute))
	n, err := db.AbandonRuns(ctx, s, now.Add(-24*time.Hour), now)
	if err != nil || n != 1 {
		t.Fatalf("AbandonRuns = %d, %v; want 1", n, err)
	}
	runs, _ := db.LastRuns(ctx, s, 10)
	for _, r := range runs {
		switch r.ID {
		case old:
			if r.Outcome != "failed" || r.Error == "" || !r.EndedAt.Equal(now) {
				t.Errorf("stale run = %+v", r)
			}
		case live:
			if !r.Running() {
				t.Errorf("a live run was abandoned: %+v", r)
			}
		}
	}
}
