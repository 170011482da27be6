package render

import (
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/jobs"
)

// TestRestoreFailureShowsOnlyHowFarItGot: a restore test or recovery that
// failed shows no RTO or restored size (it measured none), no backup it never
// found, no scratch database it never named, and no blank after a title.
func TestRestoreFailureShowsOnlyHowFarItGot(t *testing.T) {
	taken := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	backup := jobs.Manifest{Name: "wa-20261128T030000Z", Start: taken}
	passed := jobs.RestoreReport{Backup: backup, RTO: 90 * time.Second, RPO: time.Hour, Tables: 2, Rows: 1000, Fingerprinted: 1,
		RestoredBytes: 5_000_000, Scratch: "wa_pgkeeper_restore_x", Server: "db:5432", Dropped: true}
	tests := []struct {
		name    string
		render  func(jobs.RestoreReport, Format) string
		report  jobs.RestoreReport
		want    []string
		notWant []string
	}{
		{name: "no backup found", render: RestoreTest, report: jobs.RestoreReport{FailedAt: "find backup", Error: "no verified backup yet"},
			want:    []string{"Restore test FAILED\n", "failed at find backup: no verified backup yet"},
			notWant: []string{"RTO", "restored", "scratch database", "· \n", "rows checked", "RPO"}},
		{name: "refused before restoring", render: RestoreTest, report: jobs.RestoreReport{Backup: backup, RPO: time.Hour, FailedAt: "preflight",
			Error: "pg_restore 9.6.24 cannot handle server 15.18"},
			want:    []string{"Restore test FAILED · wa-20261128T030000Z", "backup age (RPO) 1 h 0 min"},
			notWant: []string{"RTO", "restored", "scratch database", "rows checked"}},
		{name: "failed restoring", render: RestoreTest, report: jobs.RestoreReport{Backup: backup, RPO: time.Hour, FailedAt: "restore",
			Error: "pg_restore: exit status 1", Scratch: "wa_pgkeeper_restore_x", Server: "db:5432", Dropped: true},
			want:    []string{"scratch database wa_pgkeeper_restore_x on db:5432 · dropped: true"},
			notWant: []string{"RTO", "restored 0", "rows checked"}},
		{name: "failed verifying", render: RestoreTest, report: jobs.RestoreReport{Backup: backup, FailedAt: "verify", Error: "differs",
			Tables: 2, Rows: 900, Scratch: "s", Server: "db:5432", Dropped: true},
			want: []string{"2 tables, 900 rows checked · 0 fingerprinted"}, notWant: []string{"RTO", "restored"}},
		{name: "passed", render: RestoreTest, report: passed,
			want: []string{"Restore test passed · wa-20261128T030000Z", "RTO 1 min 30 s (restore + verification) · RPO 1 h 0 min (backup age)",
				"2 tables, 1,000 rows checked · 1 fingerprinted · restored 5.00 MB"}},
		{name: "recovery found no backup", render: func(r jobs.RestoreReport, f Format) string { return Recovery(r, "/b", f) },
			report: jobs.RestoreReport{FailedAt: "find backup", Error: "no verified backup yet"},
			want:   []string{"Restore FAILED\n"}, notWant: []string{"backup taken", "0001", "· \n", "restored in"}},
		{name: "recovery failed restoring", render: func(r jobs.RestoreReport, f Format) string { return Recovery(r, "/b", f) },
			report:  jobs.RestoreReport{Backup: backup, RPO: time.Hour, FailedAt: "restore", Error: "boom", Scratch: "wa_dr", Dropped: true},
			want:    []string{"Restore FAILED · wa-20261128T030000Z", "backup taken 2026-11-28 03:00:00 UTC", "The half-restored wa_dr was dropped"},
			notWant: []string{"restored in", "RTO"}},
	}
	for _, tt := range tests {
		for _, f := range []Format{HTML, Plain} {
			t.Run(tt.name+formatName(f), func(t *testing.T) {
				assertWords(t, words(tt.render(tt.report, f), f), tt.want, tt.notWant)
			})
		}
	}
}

// TestSummaryFailedRestoreTestHasNoRTO: the daily summary gives a failed
// restore test no recovery time.
func TestSummaryFailedRestoreTestHasNoRTO(t *testing.T) {
	at := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	for _, f := range []Format{HTML, Plain} {
		failed := Summary(jobs.SummaryReport{At: at, LastRestore: &jobs.RestoreProof{At: at.Add(-time.Hour), OK: false}}, f)
		assertWords(t, words(failed, f), []string{"restore test FAILED 1 h 0 min ago\n"}, []string{"RTO"})
		passed := Summary(jobs.SummaryReport{At: at, LastRestore: &jobs.RestoreProof{At: at.Add(-time.Hour), OK: true, RTO: time.Minute}}, f)
		assertWords(t, words(passed, f), []string{"restore test passed 1 h 0 min ago · RTO 1 min 0 s"}, nil)
	}
}
