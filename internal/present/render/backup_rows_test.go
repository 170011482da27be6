package render

import (
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/jobs"
)

// The row counts line up however long a table's name is.
func TestBackupRowCountsLineUp(t *testing.T) {
	r := jobs.BackupReport{Database: "wa", Manifest: jobs.Manifest{Name: "wa-20261128T030000Z", Database: "wa", Verified: true,
		Tables: []jobs.TableCount{{Table: "public.whatsapp_keys", Rows: 2000}, {Table: "pgkeeper.schedule_claims", Rows: 0},
			{Table: "public.a_table_with_a_very_long_name_indeed", Rows: 7}}}}
	for _, f := range []Format{Plain, HTML} {
		var ends []int
		for _, line := range strings.Split(Backup(r, f), "\n") {
			for _, n := range []string{"2,000", " 0", " 7"} {
				if strings.HasSuffix(strings.TrimSuffix(line, "</pre>"), n) && strings.Contains(line, "_") {
					ends = append(ends, len([]rune(strings.TrimSuffix(strings.TrimPrefix(line, "<pre>"), "</pre>"))))
				}
			}
		}
		if len(ends) != 3 || ends[0] != ends[1] || ends[1] != ends[2] {
			t.Errorf("%v: count columns end at %v, want three equal", f, ends)
		}
	}
}
