package render

import (
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

func TestCleanupRendering(t *testing.T) {
	at := time.Date(2026, 11, 28, 3, 30, 0, 0, time.UTC)
	before := vocab.RelationSizes{TableBytes: 1_000_000_000, IndexBytes: 200_000_000, TotalBytes: 1_200_000_000, DeadTuples: 12}
	after := vocab.RelationSizes{TableBytes: 990_000_000, IndexBytes: 190_000_000, TotalBytes: 1_180_000_000, DeadTuples: 0}
	done := jobs.CleanupReport{Run: "20261128T033000Z", StartedAt: at, Deleted: 1500, WarnRows: 1000, Batches: 3, Rate: 750,
		Duration: 3 * time.Second, DeletedByType: []jobs.TypeCount{{Type: "pre-key", Rows: 1000}, {Type: "session", Rows: 500}},
		Before: before, After: after, UndoFile: "/b/undo/x", UndoExpiry: at.Add(24 * time.Hour),
		Vacuum: jobs.VacuumOutcome{Ran: true, Duration: time.Second, DeadBefore: 1512, DeadAfter: 0, Before: before, After: after}}
	stopped := done
	stopped.Stopped, stopped.Preview.Counts.Rows, stopped.Preview.Counts.Expired = true, 10000, 4000
	stopped.Vacuum = jobs.VacuumOutcome{Skipped: "stopped"}
	tests := []struct {
		name string
		give string
		want []string
	}{
		{"report", Cleanup(done, HTML), []string{"⚠️ <b>Cleanup deleted 1,500 keys</b>", "pre-key", "1,000", "750 rows/s",
			"before: table 1.00 GB · indexes 200 MB · total 1.20 GB · dead tuples 12", "after:  table 990 MB", "dead tuples 0",
			"vacuum: VACUUM (ANALYZE) in 1.00 s · dead tuples 1,512 → 0 · total 1.20 GB → 1.18 GB", "undo until 2026-11-29 03:30 UTC"}},
		{"stopped", Cleanup(stopped, Plain), []string{"Cleanup stopped: 1,500 keys deleted", "1,500 of the 4,000 counted at the start",
			"vacuum: skipped (stopped)"}},
		{"failed", Cleanup(jobs.CleanupReport{Error: "boom <x>", FailedAt: "delete"}, HTML), []string{"🔴 <b>Cleanup FAILED at delete</b>", "boom &lt;x&gt;"}},
		{"guarded", Cleanup(jobs.CleanupReport{Guarded: true, GuardReason: "60,000 keys to delete, over CLEANUP_MAX_ROWS (50,000)"}, Plain),
			[]string{"held back: 60,000 keys to delete"}},
		{"preview", CleanupPreview(jobs.CleanupPreview{Table: vocab.Ident{Name: "whatsapp_keys"}, AgeColumn: "updated_at", RetentionDays: 30,
			Cutoff: at.AddDate(0, 0, -30), Sizes: before, Guard: "over CLEANUP_MAX_SHARE",
			Counts: store.CleanupCounts{Rows: 10, Expired: 4, ByType: []store.KeyTypeCounts{{Type: "session", Expired: 4}},
				Buckets: [5]int64{1, 2, 3, 0, 4}, Oldest: at.AddDate(0, 0, -40), Newest: at}}, HTML),
			[]string{"4 of 10 keys would be deleted", "session", "oldest 2026-10-19 · newest 2026-11-28 03:30",
				"whatsapp_keys: table 1.00 GB · indexes 200 MB · total 1.20 GB", "updated_at older than 30 days (before 2026-10-29 03:30 UTC)\n", "a scheduled run would delete nothing: over CLEANUP_MAX_SHARE"}},
		{"undo", CleanupUndo(jobs.UndoReport{Run: "r1", Rows: 10, Restored: 9, Skipped: 1}, Plain), []string{"9 of the 10 keys in the file came back · 1 skipped"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, w := range tt.want {
				if !strings.Contains(tt.give, w) {
					t.Errorf("lacks %q:\n%s", w, tt.give)
				}
			}
		})
	}
}

// TestCleanupReportSaysOnlyWhatHappened: a failed cleanup says how many keys
// went before it failed (0 too) and whether vacuum ran; no report says
// "stopped: false" or leaves empty parentheses.
func TestCleanupReportSaysOnlyWhatHappened(t *testing.T) {
	tests := []struct {
		name    string
		give    jobs.CleanupReport
		want    []string
		notWant []string
	}{
		{"failed before deleting", jobs.CleanupReport{FailedAt: "count", Error: "count: timeout", Duration: time.Second,
			Vacuum: jobs.VacuumOutcome{Skipped: "cleanup failed"}},
			[]string{"Cleanup FAILED at count", "0 keys deleted before it failed", "vacuum: skipped (cleanup failed)", "took 1.00 s\n"},
			[]string{"stopped: false", "()", "rows/s", "batches"}},
		{"failed midway", jobs.CleanupReport{FailedAt: "delete", Error: "delete: boom", Deleted: 400, Batches: 2, Rate: 800,
			Duration: time.Second, Run: "cleanup-x", UndoFile: "/b/undo/x", Vacuum: jobs.VacuumOutcome{Skipped: "cleanup failed"}},
			[]string{"400 keys deleted before it failed", "800 rows/s · 2 batches", "vacuum: skipped (cleanup failed)", "pgkeeper cleanup --undo cleanup-x"},
			[]string{"stopped: false", "()"}},
		{"vacuum outcome unknown", jobs.CleanupReport{FailedAt: "lock", Error: "already running"},
			[]string{"0 keys deleted before it failed", "vacuum: did not run"}, []string{"()"}},
		{"done", jobs.CleanupReport{Deleted: 10, Batches: 1, Rate: 10, Duration: time.Second, Vacuum: jobs.VacuumOutcome{Ran: true}},
			[]string{"Cleanup deleted 10 keys", "10 rows/s · 1 batches"}, []string{"stopped: false", "failed"}},
		{"stopped while counting", jobs.CleanupReport{Stopped: true, Vacuum: jobs.VacuumOutcome{Skipped: "stopped"}},
			[]string{"Cleanup stopped: 0 keys deleted", "stopped while counting the expired keys"}, []string{"counted at the start", "stopped: false"}},
	}
	for _, tt := range tests {
		for _, f := range []Format{HTML, Plain} {
			t.Run(tt.name+formatName(f), func(t *testing.T) {
				assertWords(t, words(Cleanup(tt.give, f), f), tt.want, tt.notWant)
			})
		}
	}
}

// TestCleanupUndoReportTellsRowsApart: rows the undo found already there as
// the file holds them (never deleted, or put back before) are not called
// "written again since"; a file of unknown length is not "-1 in the file".
func TestCleanupUndoReportTellsRowsApart(t *testing.T) {
	tests := []struct {
		name    string
		give    jobs.UndoReport
		want    []string
		notWant []string
	}{
		{"rows never deleted", jobs.UndoReport{Run: "r1", Rows: 10, Restored: 8, Unchanged: 2, Duration: time.Second},
			[]string{"8 of the 10 keys in the file came back · 2 already there unchanged (never deleted, or put back by an earlier undo) · took 1.00 s"},
			[]string{"skipped", "written again"}},
		{"rows written again and never deleted", jobs.UndoReport{Run: "r1", Rows: 10, Restored: 7, Skipped: 1, Unchanged: 2},
			[]string{"7 of the 10 keys in the file came back", "1 skipped (written again since: the live value was kept)", "2 already there unchanged"}, nil},
		{"stopped, file length unknown", jobs.UndoReport{Run: "r1", Rows: -1, Restored: 400, Stopped: true},
			[]string{"Undo stopped: run it again to finish", "400 keys came back"}, []string{"-1", "in the file", "skipped", "unchanged"}},
		{"failed midway", jobs.UndoReport{Run: "r1", Rows: 10, Restored: 4, FailedAt: "restore", Error: "restore: boom"},
			[]string{"Undo FAILED at restore", "4 of the 10 keys in the file came back before it failed"}, []string{"skipped"}},
		{"all came back", jobs.UndoReport{Run: "r1", Rows: 10, Restored: 10},
			[]string{"Undo of cleanup r1", "all 10 keys in the file came back · took"}, []string{"skipped", "unchanged", "10 of the 10"}},
	}
	for _, tt := range tests {
		for _, f := range []Format{HTML, Plain} {
			t.Run(tt.name+formatName(f), func(t *testing.T) {
				assertWords(t, words(CleanupUndo(tt.give, f), f), tt.want, tt.notWant)
			})
		}
	}
}
