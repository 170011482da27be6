package jobs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/redact"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// historyOn is a History over a fresh, migrated database, with a clock that
// moves a minute per reading.
func historyOn(t *testing.T) *jobs.History {
	t.Helper()
	db := openDB(t, pgtest.NewDB(t))
	if err := db.Migrate(t.Context(), "keeper"); err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	return &jobs.History{DB: db, Schema: "keeper", Redactor: redact.New("hunter2-secret"), Now: func() time.Time {
		clock = clock.Add(time.Minute)
		return clock
	}}
}

func TestHistoryRecordsEveryTrigger(t *testing.T) {
	h := historyOn(t)
	ctx := t.Context()
	type figures struct{ Bytes int64 }
	boom := errors.New("pg_dump: password hunter2-secret rejected")
	tests := []struct {
		name, job   string
		trigger     vocab.Trigger
		give        jobs.RunFunc
		wantOutcome vocab.Outcome
		wantErr     string
	}{
		{"scheduled backup ok", "backup", vocab.TriggerSchedule,
			func(context.Context) (any, vocab.Outcome, error) { return figures{Bytes: 42}, "", nil }, vocab.OutcomeOK, ""},
		{"chat cleanup with a warning", "cleanup", vocab.ChatUser(1001, ""),
			func(context.Context) (any, vocab.Outcome, error) { return nil, jobs.OutcomeOf(jobs.LevelWarn), nil }, vocab.OutcomeWarning, ""},
		{"shell backup failed", "backup", vocab.TriggerShell,
			func(context.Context) (any, vocab.Outcome, error) { return figures{}, "", boom }, vocab.OutcomeFailed, "pg_dump: password *** rejected"},
		{"restore test skipped", "restore_test", vocab.TriggerSchedule,
			func(context.Context) (any, vocab.Outcome, error) {
				return nil, "", fmt.Errorf("restore test: %w", jobs.ErrAlreadyRunning)
			}, vocab.OutcomeSkipped, "restore test: another heavy job is running"},
	}
	for _, tt := range tests {
		err := h.Record(ctx, tt.job, tt.trigger, tt.give)
		if (err != nil) != (tt.wantErr != "") {
			t.Fatalf("%s: Record returned %v", tt.name, err)
		}
	}

	rep, err := h.Report(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != len(tests) {
		t.Fatalf("%d runs recorded, want %d", len(rep.Runs), len(tests))
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rep.Runs[len(tests)-1-i] // newest first
			if r.Job != tt.job || r.Trigger != tt.trigger || vocab.Outcome(r.Outcome) != tt.wantOutcome || r.Error != tt.wantErr {
				t.Errorf("recorded %+v", r)
			}
			if r.Running() || r.Duration() != time.Minute {
				t.Errorf("start %v, end %v: want a minute apart by the fake clock", r.StartedAt, r.EndedAt)
			}
		})
	}
	var f struct{ Bytes int64 }
	if err := json.Unmarshal(rep.Runs[3].Figures, &f); err != nil || f.Bytes != 42 {
		t.Errorf("figures = %s", rep.Runs[3].Figures)
	}

	last, err := h.LastRuns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(last) != 3 || last["backup"].Trigger != vocab.TriggerShell || vocab.Outcome(last["backup"].Outcome) != vocab.OutcomeFailed {
		t.Errorf("last run per job = %+v", last)
	}
}

func TestHistoryRecordsAPanicAndPassesItOn(t *testing.T) {
	h := historyOn(t)
	func() {
		defer func() {
			if r := recover(); r != "kaboom" {
				t.Errorf("recovered %v, want the job's own panic", r)
			}
		}()
		_ = h.Record(t.Context(), "cleanup", vocab.TriggerSchedule, func(context.Context) (any, vocab.Outcome, error) {
			panic("kaboom")
		})
	}()
	rep, _ := h.Report(t.Context(), 1)
	if len(rep.Runs) != 1 || rep.Runs[0].Outcome != "failed" || rep.Runs[0].Error != "panic: kaboom" {
		t.Fatalf("runs = %+v", rep.Runs)
	}
}

func TestHistoryNeverFailsTheJob(t *testing.T) {
	var logs bytes.Buffer
	// A database without pgkeeper's schema: every write to the history fails.
	h := &jobs.History{DB: openDB(t, pgtest.NewDB(t)), Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	ran := false
	jobErr := errors.New("dump failed")
	err := h.Record(t.Context(), "backup", vocab.TriggerShell, func(context.Context) (any, vocab.Outcome, error) {
		ran = true
		return nil, "", jobErr
	})
	if !ran || err != jobErr {
		t.Fatalf("ran=%v err=%v: the job must run and its own error come back", ran, err)
	}
	if !strings.Contains(logs.String(), "could not record a job's start") {
		t.Errorf("the failure to record was not logged:\n%s", logs.String())
	}
	var none *jobs.History
	if err := none.Record(t.Context(), "backup", vocab.TriggerShell, func(context.Context) (any, vocab.Outcome, error) {
		return nil, "", nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := none.Report(t.Context(), 5); !errors.Is(err, jobs.ErrNoHistory) {
		t.Errorf("Report on a nil History = %v", err)
	}
	if _, err := none.LastRuns(t.Context()); !errors.Is(err, jobs.ErrNoHistory) {
		t.Errorf("LastRuns on a nil History = %v", err)
	}
	none.SampleStatus(t.Context(), jobs.StatusReport{}) // must not panic
}

func TestHistorySamples(t *testing.T) {
	h := historyOn(t)
	ctx := t.Context()
	at := time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)
	keys := vocab.Ident{Name: "whatsapp_keys"}
	status := jobs.StatusReport{At: at,
		Database: jobs.DatabaseStatus{Reachable: true, SizeBytes: 5000},
		Keys:     jobs.KeysStatus{Table: keys},
		Tables: []jobs.TableStatus{
			{TableStats: store.TableStats{Table: vocab.Ident{Name: "whatsapp_auth"}, Rows: 3, TotalBytes: 100}},
			{TableStats: store.TableStats{Table: keys, Rows: 77, TotalBytes: 2000}},
		}}
	h.SampleStatus(ctx, status)
	backup := jobs.BackupReport{Manifest: jobs.Manifest{End: at.Add(time.Hour), Duration: 2500 * time.Millisecond,
		CompressedBytes: 900, DatabaseBytes: 5100}}
	h.SampleBackup(ctx, backup)
	h.SampleBackup(ctx, jobs.BackupReport{Error: "failed", Manifest: jobs.Manifest{End: at}})

	got, err := h.Samples(ctx, at.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, s := range got {
		fmt.Fprintf(&b, "%s %s=%d\n", s.At.UTC().Format("15:04"), s.Metric, s.Value)
	}
	want := "06:00 database_bytes=5000\n06:00 keys_rows=77\n06:00 keys_table_bytes=2000\n" +
		"07:00 backup_bytes=900\n07:00 backup_duration_ms=2500\n07:00 database_bytes=5100\n"
	if b.String() != want {
		t.Errorf("samples:\n%s\nwant:\n%s", b.String(), want)
	}
}
