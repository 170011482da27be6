package jobs_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// /status warns when BACKUP_DIR lets other users in, and gives the chmod;
// a 0700 directory, or one not made yet (pgkeeper makes it 0700), is quiet.
func TestStatusWarnsOfABackupDirOthersCanReach(t *testing.T) {
	db := openDB(t, pgtest.NewDB(t))
	tests := []struct {
		name string
		mode os.FileMode // 0: not made
		dir  string      // under the test's directory
		want string      // in the finding; empty: no finding
	}{
		{"0755", 0o755, "backups", "is mode 0755: other users can list the backups; run chmod 700 "},
		{"0750: the group", 0o750, "backups", "is mode 0750: other users can list the backups; run chmod 700 "},
		{"0777", 0o777, "backups", "other users can list the backups and add or delete files in it; run chmod 700 "},
		{"0711", 0o711, "backups", "other users can open backups whose names they know; run chmod 700 "},
		{"a name the chmod must quote", 0o755, "my backups", "run chmod 700 '"},
		{"0700", 0o700, "backups", ""},
		{"not made yet", 0, "backups", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), tt.dir)
			if tt.mode != 0 {
				if err := os.Mkdir(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(dir, tt.mode); err != nil { // whatever the umask
					t.Fatal(err)
				}
			}
			s := statusJob(db, pgtest.BinDir(t), time.Now())
			s.Config.BackupDir = dir
			r := s.Run(context.Background())
			var found *jobs.Finding
			for i, f := range r.Findings {
				if strings.Contains(f.Text, "other users") {
					found = &r.Findings[i]
				}
			}
			if tt.want == "" {
				if found != nil {
					t.Fatalf("unexpected finding: %+v", *found)
				}
				return
			}
			if found == nil || found.Level != jobs.LevelWarn || !strings.Contains(found.Text, tt.want) ||
				!strings.HasSuffix(found.Text, "run chmod 700 "+quoted(dir)) {
				t.Fatalf("want a warning with %q and the directory, got %+v", tt.want, r.Findings)
			}
			if text := render.Status(r, render.Plain); !strings.Contains(text, "chmod 700") {
				t.Errorf("the report does not give the chmod:\n%s", text)
			}
		})
	}
}

// quoted is dir as the chmod in the finding should give it.
func quoted(dir string) string {
	if strings.Contains(dir, " ") {
		return "'" + dir + "'"
	}
	return dir
}
