package jobs_test

import (
	"context"
	"errors"
	"testing"

	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

func TestParseHistoryFilter(t *testing.T) {
	tests := []struct {
		give, want, wantErr string
	}{
		{"", "", ""},
		{"backup", "backup", ""},
		{"failed", "failed", ""},
		{"Backup  FAILED", "backup failed", ""},
		{"failed,backup", "backup failed", ""},
		{"restore-test cleanup_undo ok ok", "restore_test cleanup_undo ok", ""},
		{"backup nonsense", "", `unknown history filter "nonsense"`},
		{"backups", "", `unknown history filter "backups"`},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			f, err := jobs.ParseHistoryFilter(tt.give)
			switch {
			case tt.wantErr != "":
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("error %v, want %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case f.String() != tt.want || f.Empty() != (tt.want == ""):
				t.Errorf("filter %q (empty %v), want %q", f.String(), f.Empty(), tt.want)
			}
		})
	}
}

func TestHistoryPage(t *testing.T) {
	h := historyOn(t)
	ctx := t.Context()
	boom := errors.New("boom")
	record := func(job string, outcome vocab.Outcome, err error) {
		_ = h.Record(ctx, job, vocab.TriggerShell, func(context.Context) (any, vocab.Outcome, error) { return nil, outcome, err })
	}
	for range 7 {
		record(vocab.JobBackup, "", nil)
	}
	record(vocab.JobBackup, "", boom)
	record(vocab.JobCleanup, "", boom)
	record(vocab.JobRestoreTest, vocab.OutcomeAbandoned, boom)
	record(vocab.JobCleanup, vocab.OutcomeWarning, nil)
	tests := []struct {
		name       string
		give       string
		offset     int
		wantRuns   int
		wantTotal  int
		wantOffset int
	}{
		{"first page", "", 0, 5, 11, 0},
		{"last page", "", 10, 1, 11, 10},
		{"past the end: the last page", "", 40, 1, 11, 10},
		{"failed takes abandoned", "failed", 0, 3, 3, 0},
		{"failed backups", "backup failed", 0, 1, 1, 0},
		{"warnings", "warning", 0, 1, 1, 0},
		{"nothing", "summary", 5, 0, 0, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := jobs.ParseHistoryFilter(tt.give)
			if err != nil {
				t.Fatal(err)
			}
			r, err := h.Page(ctx, jobs.HistoryQuery{Filter: f, Offset: tt.offset, Limit: 5})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Runs) != tt.wantRuns || r.Total != tt.wantTotal || r.Offset != tt.wantOffset || r.Filter.String() != tt.give {
				t.Errorf("%d runs of %d from %d (filter %q), want %d of %d from %d", len(r.Runs), r.Total, r.Offset,
					r.Filter, tt.wantRuns, tt.wantTotal, tt.wantOffset)
			}
			for _, run := range r.Runs {
				if tt.give == "failed" && !run.Outcome.Failed() || tt.give == "backup failed" && run.Job != vocab.JobBackup {
					t.Errorf("run %+v does not match %q", run, tt.give)
				}
			}
		})
	}
	var none *jobs.History
	if _, err := none.Page(ctx, jobs.HistoryQuery{}); !errors.Is(err, jobs.ErrNoHistory) {
		t.Errorf("a nil history's page: %v", err)
	}
}
