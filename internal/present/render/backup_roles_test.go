package render

import (
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/jobs"
)

// A backup's report says whether its roles are its own dump, its server's
// shared one (whose backup's, and when: an operator comparing roles files
// knows why they match), or why none were saved.
func TestBackupSaysWhereItsRolesCameFrom(t *testing.T) {
	m := jobs.Manifest{Name: "crm-20261130T030100Z", Database: "crm", Verified: true, Start: time.Date(2026, 11, 30, 3, 1, 0, 0, time.UTC)}
	own, shared, none := m, m, m
	own.Globals = m.Name + ".globals.sql.zst"
	shared.Globals = own.Globals
	shared.GlobalsFrom = &jobs.RolesSource{Database: "a<pp", Backup: "app-20261130T030000Z", At: time.Date(2026, 11, 30, 3, 0, 42, 0, time.UTC)}
	none.GlobalsNote = "roles not saved (the role may not read them; that is fine): denied"
	tests := []struct {
		name    string
		give    jobs.Manifest
		want    []string
		notWant []string
	}{
		{"its own", own, []string{"roles saved (without passwords)\n"}, []string{"the server's"}},
		{"the server's", shared, []string{"roles saved (without passwords): the server's, dumped once at 03:00:42 UTC for a<pp's backup"}, nil},
		{"none", none, []string{"roles not saved (the role may not read them"}, []string{"roles saved"}},
	}
	for _, tt := range tests {
		for _, f := range []Format{HTML, Plain} {
			t.Run(tt.name+formatName(f), func(t *testing.T) {
				out := Backup(jobs.BackupReport{Database: "crm", Manifest: tt.give}, f)
				assertWords(t, words(out, f), tt.want, tt.notWant)
				if f == HTML && strings.Contains(out, "a<pp") {
					t.Errorf("a database's name unescaped in HTML:\n%s", out)
				}
			})
		}
	}
}
