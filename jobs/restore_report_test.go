package jobs_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// TestRestoreFailureReportShowsNoRecoveryTime drives real restore tests and
// a recovery to failures before anything was restored: their reports once
// showed "RTO 0 µs · restored 0 B", a blank backup name and a scratch
// database that was never named.
func TestRestoreFailureReportShowsNoRecoveryTime(t *testing.T) {
	url, dir, _ := backedUp(t, pgtest.Seed{Companies: 1, Keys: 200, Days: 10})
	oldRestore := pgtest.ToolsDir(t, map[string]string{"pg_restore": "echo 'pg_restore (PostgreSQL) 9.6.24'\n"})
	tests := []struct {
		name    string
		dir     string
		binDir  string
		into    string
		step    string
		notWant []string
	}{
		{"no backup yet", t.TempDir(), pgtest.BinDir(t), "", "find backup", []string{"· \n", "scratch database", "RPO"}},
		{"pg_restore refused", dir, oldRestore, "", "preflight", []string{"scratch database"}},
		{"recovery with no backup", t.TempDir(), pgtest.BinDir(t), "wa_never_made", "find backup", []string{"· \n", "backup taken", "0001"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := restoreJob(t, url, tt.dir, tt.binDir).Run(context.Background(), jobs.RestoreOptions{Into: tt.into}, nil)
			if err == nil || r.FailedAt != tt.step {
				t.Fatalf("want a failure at %s, got %q: %v", tt.step, r.FailedAt, err)
			}
			for _, f := range []render.Format{render.HTML, render.Plain} {
				text := render.RestoreTest(r, f)
				if tt.into != "" {
					text = render.Recovery(r, tt.dir, f)
				}
				text += "\n"
				for _, w := range append([]string{"RTO", "restored", "rows checked", "· </b>"}, tt.notWant...) {
					if strings.Contains(text, w) {
						t.Errorf("report says %q:\n%s", w, text)
					}
				}
			}
		})
	}
}
