package jobs_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// countingDumpall is a PG_BIN_DIR whose pg_dumpall is the real one, each
// roles dump logged to the returned file first; with failFirst, the first
// roles dump fails as a role that may not read them does.
func countingDumpall(t *testing.T, failFirst bool) (binDir, log string) {
	t.Helper()
	log = filepath.Join(t.TempDir(), "dumpall.log")
	script := `case "$*" in *--globals-only*) echo "$PGPORT $PGDATABASE" >> '` + log + `';; esac
`
	if failFirst {
		script += `case "$*" in *--globals-only*) if mkdir '` + log + `.failed' 2>/dev/null; then echo "permission denied for table pg_authid" >&2; exit 1; fi;; esac
`
	}
	script += `exec '` + filepath.Join(pgtest.BinDir(t), "pg_dumpall") + `' "$@"
`
	return pgtest.ToolsDir(t, map[string]string{"pg_dumpall": script}), log
}

// runs is how many roles dumps log holds.
func runs(t *testing.T, log string) int {
	t.Helper()
	data, err := os.ReadFile(log)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(data), "\n")
}

// Backups of two databases of one server sharing a Roles run pg_dumpall
// once within its window: the second writes the first's bytes as its own
// roles file (same sha256, recorded, and said where from); past the window
// the next dumps again; a failed dump is not shared, so the next backup
// dumps its own; without a Roles every backup dumps its own, as before.
func TestRolesOncePerServer(t *testing.T) {
	seed := pgtest.Seed{Companies: 1, Keys: 20, Days: 5}
	urls := map[string]string{"a": pgtest.NewBaileysDB(t, seed), "b": pgtest.NewBaileysDB(t, seed)}
	type step struct {
		db       string
		advance  time.Duration
		wantRuns int    // pg_dumpall runs so far
		wantFrom string // the database whose backup dumped the roles it got; "" its own; "-" none saved
	}
	tests := []struct {
		name      string
		shared    bool
		failFirst bool
		steps     []step
	}{
		{"shared within the window", true, false, []step{
			{"a", 0, 1, ""}, {"b", time.Minute, 1, "a"}, {"a", 8 * time.Minute, 1, "a"},
			{"b", 2 * time.Minute, 2, ""}, {"a", 0, 2, "b"},
		}},
		{"a failed dump is not shared", true, true, []step{
			{"a", 0, 1, "-"}, {"b", 0, 2, ""}, {"a", 0, 2, "b"},
		}},
		{"no Roles: each its own", false, false, []step{
			{"a", 0, 1, ""}, {"b", 0, 2, ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin, log := countingDumpall(t, tt.failFirst)
			now := time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)
			var roles *jobs.Roles
			if tt.shared {
				roles = jobs.NewRoles(10*time.Minute, func() time.Time { return now })
			}
			root := t.TempDir()
			var firstSHA string
			for i, s := range tt.steps {
				now = now.Add(s.advance)
				dir := filepath.Join(root, s.db)
				job := backupJob(t, urls[s.db], dir, bin)
				job.Config.Roles = roles
				job.Now = func() time.Time { return now.Add(time.Duration(i) * time.Hour) } // names of their own
				r, err := job.Run(context.Background(), jobs.BackupOptions{Trigger: "test"}, nil)
				if err != nil {
					t.Fatalf("step %d (%s): %v", i, s.db, err)
				}
				m := r.Manifest
				if got := runs(t, log); got != s.wantRuns {
					t.Errorf("step %d (%s): %d pg_dumpall runs, want %d", i, s.db, got, s.wantRuns)
				}
				if s.wantFrom == "-" {
					if m.Globals != "" || !strings.Contains(m.GlobalsNote, "roles not saved") {
						t.Errorf("step %d (%s): roles %q, note %q: want none and why", i, s.db, m.Globals, m.GlobalsNote)
					}
					continue
				}
				if m.Globals != m.Name+".globals.sql.zst" {
					t.Fatalf("step %d (%s): roles file %q (%s)", i, s.db, m.Globals, m.GlobalsNote)
				}
				if got := fileSHA(t, filepath.Join(dir, m.Globals)); got != m.GlobalsSHA256 {
					t.Errorf("step %d (%s): roles file sha256 %s, manifest says %s", i, s.db, got, m.GlobalsSHA256)
				}
				switch {
				case s.wantFrom == "" && m.GlobalsFrom != nil:
					t.Errorf("step %d (%s): roles said to come from %+v, want its own", i, s.db, *m.GlobalsFrom)
				case s.wantFrom == "":
					firstSHA = m.GlobalsSHA256
				case m.GlobalsFrom == nil || m.GlobalsFrom.Database != dbNameOf(urls[s.wantFrom]):
					t.Errorf("step %d (%s): roles from %+v, want %s's", i, s.db, m.GlobalsFrom, s.wantFrom)
				case m.GlobalsSHA256 != firstSHA:
					t.Errorf("step %d (%s): shared roles sha256 %s, the dump's %s", i, s.db, m.GlobalsSHA256, firstSHA)
				}
				if l, err := jobs.ReadListing(dir, jobs.Origin{SystemID: m.SystemID, Database: m.Database}); err != nil || len(l.Broken) != 0 {
					t.Errorf("step %d (%s): listing %+v, %v: want no broken backup", i, s.db, l.Broken, err)
				}
			}
		})
	}
}

// Backups of one server running at once with one Roles run pg_dumpall
// once: the others wait for that dump, then write its bytes.
func TestRolesSharedByConcurrentBackups(t *testing.T) {
	seed := pgtest.Seed{Companies: 1, Keys: 20, Days: 5}
	bin, log := countingDumpall(t, false)
	roles := jobs.NewRoles(0, nil)
	root := t.TempDir()
	ms := make([]jobs.Manifest, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range ms {
		job := backupJob(t, pgtest.NewBaileysDB(t, seed), filepath.Join(root, strconv.Itoa(i)), bin)
		job.Config.Roles = roles
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := job.Run(context.Background(), jobs.BackupOptions{Trigger: "test"}, nil)
			ms[i], errs[i] = r.Manifest, err
		}()
	}
	wg.Wait()
	shared := 0
	for i, m := range ms {
		if errs[i] != nil {
			t.Fatalf("backup %d: %v", i, errs[i])
		}
		if m.Globals == "" || m.GlobalsSHA256 != ms[0].GlobalsSHA256 || fileSHA(t, filepath.Join(root, strconv.Itoa(i), m.Globals)) != m.GlobalsSHA256 {
			t.Errorf("backup %d: roles %q, sha256 %s, the first's %s", i, m.Globals, m.GlobalsSHA256, ms[0].GlobalsSHA256)
		}
		if m.GlobalsFrom != nil {
			shared++
		}
	}
	if n := runs(t, log); n != 1 || shared != 2 {
		t.Errorf("%d pg_dumpall runs and %d backups given the shared roles, want 1 and 2", n, shared)
	}
}
