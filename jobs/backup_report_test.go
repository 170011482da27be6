package jobs_test

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// TestBackupFailureReportSaysWhatHappened drives real backups to failures
// that once left misleading reports: a pg_dump that could not connect kept
// a "failed dump" (compression's empty frame), a dump that got nothing was
// kept too, and a run that failed before its backup had a name ended its
// header in a blank.
func TestBackupFailureReportSaysWhatHappened(t *testing.T) {
	live := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 300, Days: 10})
	wrongPassword, err := url.Parse(live)
	if err != nil {
		t.Fatal(err)
	}
	wrongPassword.User = url.UserPassword(wrongPassword.User.Username(), "not-the-password")
	real := filepath.Join(pgtest.BinDir(t), "pg_dump")
	silent := `if [ "$1" = --version ]; then exec "` + real + `" --version; fi
exit 1
`
	empty := `if [ "$1" = --version ]; then exec "` + real + `" --version; fi
exit 0
`
	tests := []struct {
		name      string
		dbURL     string // the job's database (lock, counts)
		dumpURL   string // what pg_dump connects with
		tools     map[string]string
		wantStep  string
		wantSaid  string // in ToolSaid; "" wants none
		wantWords []string
		notWords  []string
	}{
		{"pg_dump cannot connect", live, wrongPassword.String(), nil, "pg_dump", "password authentication failed",
			[]string{"read pg_dump's message above"}, []string{"kept for a look"}},
		{"pg_dump fails without a word", live, live, map[string]string{"pg_dump": silent}, "pg_dump", "",
			[]string{"check the database and BACKUP_DIR's free space"}, []string{"kept for a look", "message above"}},
		{"pg_dump writes nothing", live, live, map[string]string{"pg_dump": empty}, "verify", "",
			nil, []string{"kept for a look"}},
		{"database down before the backup has a name", "postgres://u:pw@127.0.0.1:1/wa_down?connect_timeout=2",
			"postgres://u:pw@127.0.0.1:1/wa_down?connect_timeout=2", nil, "connect", "",
			[]string{"Backup FAILED · wa_down\n", "failed at connect: database unreachable"}, []string{"· \n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			job := backupJob(t, tt.dbURL, dir, pgtest.ToolsDir(t, tt.tools))
			job.Config.DatabaseURL = tt.dumpURL
			r, err := job.Run(context.Background(), jobs.BackupOptions{}, nil)
			if err == nil || r.FailedAt != tt.wantStep {
				t.Fatalf("want a failure at %s, got step %q: %v", tt.wantStep, r.FailedAt, err)
			}
			if (tt.wantSaid == "") != (r.ToolSaid == "") || !strings.Contains(r.ToolSaid, tt.wantSaid) {
				t.Errorf("ToolSaid %q, want %q", r.ToolSaid, tt.wantSaid)
			}
			if r.KeptAs != "" {
				t.Errorf("kept %s, though pg_dump gave it nothing", r.KeptAs)
			}
			if f := files(t, dir); len(f) != 0 {
				t.Errorf("left behind: %v", f)
			}
			text := render.Backup(r, render.Plain) + "\n"
			for _, w := range tt.wantWords {
				if !strings.Contains(text, w) {
					t.Errorf("report lacks %q:\n%s", w, text)
				}
			}
			for _, w := range tt.notWords {
				if strings.Contains(text, w) {
					t.Errorf("report says %q:\n%s", w, text)
				}
			}
		})
	}
}
