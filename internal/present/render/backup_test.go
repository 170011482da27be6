package render

import (
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/jobs"
)

// TestBackupFailureSaysOnlyWhatHappened: a failed backup's report names the
// database even before the backup has a name, never ends its header in a
// blank, and points at pg_dump's message only when pg_dump left one.
func TestBackupFailureSaysOnlyWhatHappened(t *testing.T) {
	named := jobs.Manifest{Name: "wa-20261128T030000Z", Database: "wa", Tables: []jobs.TableCount{{Table: "public.whatsapp_keys", Rows: 10}}}
	diskFull := "write backup: disk full (write /b/wa.dump.zst.tmp: no space left on device): free space in BACKUP_DIR or lower BACKUP_KEEP_DAILY"
	tests := []struct {
		name    string
		give    jobs.BackupReport
		want    []string
		notWant []string
	}{
		{"failed before it had a name", jobs.BackupReport{Database: "wa", FailedAt: "connect", Error: "database unreachable: dial tcp: refused"},
			[]string{"Backup FAILED · wa\n", "failed at connect: database unreachable"}, []string{"· \n", "kept for a look"}},
		{"no database known either", jobs.BackupReport{FailedAt: "lock", Error: "already running"},
			[]string{"Backup FAILED\n"}, []string{"·"}},
		{"disk full, pg_dump silent", jobs.BackupReport{Database: "wa", Manifest: named, FailedAt: "pg_dump", Error: diskFull, DiskFull: true},
			[]string{"BACKUP_DIR filled up while the dump was written: free space there or lower BACKUP_KEEP_DAILY"},
			[]string{"message above", "message is above", "Rows (exact"}},
		{"disk full, pg_dump said why", jobs.BackupReport{Database: "wa", Manifest: named, FailedAt: "pg_dump", Error: "pg_dump: " + diskFull + ": pg_dump: error: x",
			DiskFull: true, ToolSaid: "pg_dump: error: x"},
			[]string{"BACKUP_DIR filled up while the dump was written (pg_dump's own message is above)"}, nil},
		{"disk full before writing", jobs.BackupReport{Database: "wa", FailedAt: "preflight", Error: "disk full: BACKUP_DIR has 1 MB free", DiskFull: true},
			[]string{"BACKUP_DIR has too little room for the backup"}, []string{"message above"}},
		{"pg_dump failed with a message", jobs.BackupReport{Database: "wa", Manifest: named, FailedAt: "pg_dump",
			Error: "pg_dump: exit status 1: pg_dump: error: connection failed", ToolSaid: "pg_dump: error: connection failed"},
			[]string{"read pg_dump's message above"}, []string{"kept for a look"}},
		{"pg_dump failed without a word", jobs.BackupReport{Database: "wa", Manifest: named, FailedAt: "pg_dump", Error: "pg_dump: exit status 1"},
			[]string{"check the database and BACKUP_DIR's free space"}, []string{"message above"}},
		{"failed dump kept", jobs.BackupReport{Database: "wa", Manifest: named, FailedAt: "verify", Error: "verify: bad", KeptAs: "/b/failed/wa.dump.zst"},
			[]string{"The failed dump is kept for a look at", "/b/failed/wa.dump.zst"}, nil},
	}
	for _, tt := range tests {
		for _, f := range []Format{HTML, Plain} {
			t.Run(tt.name+formatName(f), func(t *testing.T) {
				assertWords(t, words(Backup(tt.give, f), f), tt.want, tt.notWant)
			})
		}
	}
}

func formatName(f Format) string {
	if f == HTML {
		return " (html)"
	}
	return " (plain)"
}

var tag = regexp.MustCompile(`<[^>]+>`)

// words is what a reader sees of a rendering, tags and escapes undone, so
// one list of expected words checks both formats; it ends in a newline.
func words(s string, f Format) string {
	if f == HTML {
		s = html.UnescapeString(tag.ReplaceAllString(s, ""))
	}
	return s + "\n"
}

func assertWords(t *testing.T, got string, want, notWant []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("lacks %q:\n%s", w, got)
		}
	}
	for _, w := range notWant {
		if strings.Contains(got, w) {
			t.Errorf("says %q:\n%s", w, got)
		}
	}
}

// /backups shows each backup's name, the one --backup NAME and
// /restore_test NAME take, copyable in Telegram.
func TestBackupsShowTheNamesCommandsTake(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	l := jobs.Listing{Backups: []jobs.Manifest{
		{Name: "wa-20261130T030000Z", Database: "wa", Start: now.Add(-6 * time.Hour), Kind: jobs.KindDaily, CompressedBytes: 1 << 20},
		{Name: "wa-20261101T030000Z", Database: "wa", Start: now.Add(-29 * 24 * time.Hour), Kind: jobs.KindMonthly, CompressedBytes: 1 << 20},
	}}
	tests := []struct {
		f    Format
		want []string
	}{
		{HTML, []string{"<code>wa-20261130T030000Z</code>", "<code>wa-20261101T030000Z</code>"}},
		{Plain, []string{"wa-20261130T030000Z", "wa-20261101T030000Z"}},
	}
	for _, tt := range tests {
		got := Backups(l, 1<<30, now, tt.f)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("format %v: no %q in\n%s", tt.f, w, got)
			}
		}
	}
}
