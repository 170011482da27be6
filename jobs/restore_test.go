package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
)

func restoreJob(t *testing.T, url, dir, binDir string) *jobs.RestoreTest {
	t.Helper()
	return &jobs.RestoreTest{DB: openDB(t, url), Config: jobs.RestoreConfig{DatabaseURL: url, BackupDir: dir, PGBinDir: binDir}}
}

// backedUp seeds a Baileys database and makes one verified backup of it.
func backedUp(t *testing.T, seed pgtest.Seed) (url, dir string, m jobs.Manifest) {
	t.Helper()
	url = pgtest.NewBaileysDB(t, seed)
	dir = t.TempDir()
	r, err := backupJob(t, url, dir, pgtest.BinDir(t)).Run(context.Background(), jobs.BackupOptions{Trigger: "test"}, nil)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	return url, dir, r.Manifest
}

// adminServer reaches the test server's maintenance database, to make, look
// at and drop the databases restore tests and recoveries deal with.
func adminServer(t *testing.T) *store.Server {
	t.Helper()
	srv, err := store.OpenServer(pgtest.AdminURL(t), "")
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// scratchLeft lists the scratch databases of url's database still on the server.
func scratchLeft(t *testing.T, url string) []string {
	t.Helper()
	found, err := adminServer(t).ScratchDatabases(context.Background(), dbNameOf(url))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range found {
		names = append(names, s.Name)
	}
	return names
}

// proofs re-reads the restore tests recorded in a backup's manifest.
func proofs(t *testing.T, dir string, of jobs.Manifest) []jobs.RestoreProof {
	t.Helper()
	l, err := jobs.ReadListing(dir, jobs.Origin{SystemID: of.SystemID, Database: of.Database})
	if err != nil {
		t.Fatal(err)
	}
	m, err := l.Find(dir, of.Name)
	if err != nil {
		t.Fatal(err)
	}
	return m.RestoreTests
}

// flipByte changes one bit in the middle of a file, as a bad disk would.
func flipByte(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x01
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// assertFailedCleanly checks a failed run: the error matches the report, its
// reason is one line without the password, and no scratch database is left.
func assertFailedCleanly(t *testing.T, url string, r jobs.RestoreReport, err error, step, words string) {
	t.Helper()
	if err == nil || r.OK() || r.FailedAt != step || !strings.Contains(r.Error, words) {
		t.Fatalf("want a failure at %s with %q, got step %q err %v", step, words, r.FailedAt, err)
	}
	t.Logf("reason: %s", r.Error)
	if strings.Contains(r.Error, "\n") || strings.Contains(err.Error(), pgtest.Password(t)) || strings.Contains(r.Error, "p@ss") {
		t.Errorf("reason is not one clean line: %q", r.Error)
	}
	if left := scratchLeft(t, url); len(left) > 0 {
		t.Errorf("scratch databases left behind: %v", left)
	}
}

func TestRestoreProvesBackup(t *testing.T) {
	url, dir, m := backedUp(t, pgtest.Seed{Companies: 3, Keys: 5000, Days: 60})
	real := filepath.Join(pgtest.BinDir(t), "pg_restore")
	tests := []struct {
		name     string
		jobs     int
		wantJobs int
	}{
		{"streamed by default", 0, 1},
		{"parallel from a decompressed copy", 2, 2},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			record := filepath.Join(t.TempDir(), "argv")
			spy := `if [ "$1" = --version ]; then exec "` + real + `" --version; fi
printf '%s\n' "$@" > "` + record + `"
exec "` + real + `" "$@"
`
			job := restoreJob(t, url, dir, pgtest.ToolsDir(t, map[string]string{"pg_restore": spy}))
			job.Config.Jobs = tt.jobs
			h := historyOn(t)
			var steps []string
			r, err := jobs.RecordedRestore{RestoreTest: job, History: h}.Run(context.Background(), jobs.RestoreOptions{Trigger: "test"}, func(p jobs.RestoreProgress) {
				if len(steps) == 0 || steps[len(steps)-1] != p.Step {
					steps = append(steps, p.Step)
				}
			})
			if err != nil || !r.OK() {
				t.Fatalf("restore test failed: %v\n%+v", err, r)
			}
			if r.Backup.Name != m.Name || r.Jobs != tt.wantJobs || !r.Dropped || !r.Recorded || len(r.Differences) != 0 {
				t.Errorf("report: %+v", r)
			}
			if r.Tables != 2 || r.Rows != m.TotalRows() || r.Fingerprinted != 1 || r.RestoredBytes <= 0 {
				t.Errorf("checked %d tables, %d rows (want %d), %d fingerprints, %d bytes", r.Tables, r.Rows, m.TotalRows(), r.Fingerprinted, r.RestoredBytes)
			}
			if r.RTO <= 0 || r.RPO <= 0 || r.RTO > time.Minute || !strings.HasPrefix(r.Scratch, store.ScratchPrefix(dbNameOf(url))) {
				t.Errorf("RTO %v RPO %v scratch %q", r.RTO, r.RPO, r.Scratch)
			}
			if !strings.Contains(strings.Join(steps, ","), "restoring") || steps[len(steps)-1] != "dropping "+r.Scratch {
				t.Errorf("progress steps: %q", steps)
			}
			if left := scratchLeft(t, url); len(left) > 0 {
				t.Errorf("scratch databases left behind: %v", left)
			}
			p := proofs(t, dir, m)
			if len(p) != i+1 || !p[i].OK || p[i].RTO != r.RTO || !strings.Contains(p[i].Detail, "2 tables") {
				t.Errorf("manifest proofs: %+v", p)
			}
			runs, _ := h.LastRuns(context.Background())
			if run := runs["restore_test"]; run.Outcome != "ok" || !strings.Contains(string(run.Figures), `"tables": 2`) {
				t.Errorf("history: %+v %s", run, run.Figures)
			}
			argv, _ := os.ReadFile(record)
			js, _ := json.Marshal(r)
			for _, s := range []string{string(argv), string(js)} {
				if strings.Contains(s, pgtest.Password(t)) || strings.Contains(s, "p@ss") {
					t.Errorf("password leaked: %s", s)
				}
			}
			if !strings.Contains(string(argv), "--exit-on-error") {
				t.Errorf("pg_restore argv: %q", argv)
			}
		})
	}
}

func TestRestoreDamagedBackup(t *testing.T) {
	url, dir, m := backedUp(t, pgtest.Seed{Companies: 2, Keys: 4000, Days: 60})
	flipByte(t, filepath.Join(dir, m.DumpFile()))
	r, err := restoreJob(t, url, dir, pgtest.BinDir(t)).Run(context.Background(), jobs.RestoreOptions{}, nil)
	if !errors.Is(err, jobs.ErrCorruptBackup) {
		t.Fatalf("want ErrCorruptBackup, got %v", err)
	}
	assertFailedCleanly(t, url, r, err, "restore", "backup file is damaged: "+m.DumpFile())
	if p := proofs(t, dir, m); len(p) != 1 || p[0].OK || !strings.Contains(p[0].Detail, "damaged") {
		t.Errorf("the failure is not recorded in the manifest: %+v", p)
	}
}

func TestRestoreManifestDisagrees(t *testing.T) {
	url, dir, m := backedUp(t, pgtest.Seed{Companies: 2, Keys: 3000, Days: 60})
	keys := m.Tables[1].Rows
	tests := []struct {
		name  string
		edit  func(*jobs.Manifest)
		want  []jobs.RestoreDifference
		words string
	}{
		{"row count", func(m *jobs.Manifest) { m.Tables[1].Rows++ },
			[]jobs.RestoreDifference{{Table: "public.whatsapp_keys", Check: "rows", Expected: fmt.Sprint(keys + 1), Found: fmt.Sprint(keys)}},
			fmt.Sprintf("public.whatsapp_keys rows: expected %d, found %d", keys+1, keys)},
		{"fingerprint", func(m *jobs.Manifest) { m.Fingerprints["public.whatsapp_auth"] = "0123" },
			[]jobs.RestoreDifference{{Table: "public.whatsapp_auth", Check: "fingerprint", Expected: "0123", Found: m.Fingerprints["public.whatsapp_auth"]}},
			"public.whatsapp_auth fingerprint: expected 0123"},
		{"missing table", func(m *jobs.Manifest) { m.Tables = append(m.Tables, jobs.TableCount{Table: "public.ghost", Rows: 3}) },
			[]jobs.RestoreDifference{{Table: "public.ghost", Check: "table", Expected: "present", Found: "missing"}},
			"public.ghost table: expected present, found missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edited := m
			edited.Tables = append([]jobs.TableCount(nil), m.Tables...)
			edited.Fingerprints = map[string]string{"public.whatsapp_auth": m.Fingerprints["public.whatsapp_auth"]}
			tt.edit(&edited)
			if err := jobs.SaveManifest(dir, edited); err != nil {
				t.Fatal(err)
			}
			r, err := restoreJob(t, url, dir, pgtest.BinDir(t)).Run(context.Background(), jobs.RestoreOptions{}, nil)
			if !errors.Is(err, jobs.ErrRestoreMismatch) {
				t.Fatalf("want ErrRestoreMismatch, got %v", err)
			}
			assertFailedCleanly(t, url, r, err, "verify", tt.words)
			if fmt.Sprint(r.Differences) != fmt.Sprint(tt.want) {
				t.Errorf("differences %+v, want %+v", r.Differences, tt.want)
			}
		})
	}
}

// A scratch database no running restore test holds is a leftover whatever
// its age: the preview and Leftovers name it, the next run drops it and says
// so. A running test's scratch database, another live database's, a name
// that only starts like one, and one with a session in it (a same-named
// database's test from another server) are never touched.
func TestRestoreSweepsLeftovers(t *testing.T) {
	url, dir, _ := backedUp(t, pgtest.Seed{Companies: 1, Keys: 500, Days: 10})
	now := time.Now().Truncate(time.Second)
	srv := adminServer(t)
	live := dbNameOf(url)
	old, young := store.ScratchName(live, now.Add(-2*time.Hour)), store.ScratchName(live, now.Add(-2*time.Minute))
	running := store.ScratchName(live, now.Add(-5*time.Minute))
	busy := store.ScratchName(live, now.Add(-30*time.Minute))
	others := []string{
		store.ScratchName(live+"_b", now.Add(-3*time.Hour)), // another live database's
		store.ScratchPrefix(live) + "2026",                  // not a whole timestamp
	}
	for _, name := range append([]string{old, young, running, busy}, others...) {
		if err := srv.CreateDatabase(context.Background(), name, store.Locale{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.DropDatabase(context.Background(), name) })
	}
	if _, err := openDB(t, withDB(url, busy)).Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	job := restoreJob(t, url, dir, pgtest.BinDir(t))
	job.Now = func() time.Time { return now }

	// A restore test holds the lock: its scratch database is no leftover.
	lock, err := openDB(t, url).TryLock(context.Background(), "restore test", "schedule", now.Add(-5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	found, err := job.Leftovers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range found {
		names = append(names, l.Name)
		next := "The next restore test drops it"
		if l.Name == busy {
			next = "it is in use (connected sessions: 1;"
		}
		if l.Incomplete || l.SizeBytes <= 0 || !strings.Contains(l.Describe(now), next) {
			t.Errorf("leftover %+v: %s", l, l.Describe(now))
		}
	}
	if want := []string{old, busy, young}; fmt.Sprint(names) != fmt.Sprint(want) {
		t.Errorf("leftovers %v while a restore test runs, want %v", names, want)
	}
	// The same through RESTORE_DATABASE_URL (a connection of its own, not
	// one of the live database's).
	viaURL := *job
	viaURL.Config.RestoreDatabaseURL = pgtest.AdminURL(t)
	if again, err := viaURL.Leftovers(context.Background()); err != nil || fmt.Sprint(leftoverNames(again)) != fmt.Sprint(names) {
		t.Errorf("leftovers through RESTORE_DATABASE_URL %v (%v), want %v", leftoverNames(again), err, names)
	}
	st := (&jobs.Status{DB: openDB(t, url), Restore: job, ReadOnly: true}).Run(context.Background())
	if len(st.Leftovers) != 3 || st.Level() < jobs.LevelWarn {
		t.Errorf("status leftovers %+v, level %v", st.Leftovers, st.Level())
	}
	lock.Unlock(context.Background())

	p, err := job.Preview(context.Background(), "")
	if want := []string{old, busy, running, young}; err != nil || fmt.Sprint(p.Leftovers) != fmt.Sprint(want) {
		t.Fatalf("preview leftovers %v (%v), want %v", p.Leftovers, err, want)
	}
	r, err := job.Run(context.Background(), jobs.RestoreOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{old, running, young}; fmt.Sprint(r.Swept) != fmt.Sprint(want) {
		t.Errorf("swept %v, want %v", r.Swept, want)
	}
	if left := scratchLeft(t, url); len(left) != 1 || left[0] != busy {
		t.Errorf("left %v, want only %s, which a session uses", left, busy)
	}
	if w := strings.Join(r.Warnings, "\n"); !strings.Contains(w, busy+" left alone: it is in use (connected sessions: 1)") {
		t.Errorf("the report does not say why %s stays: %q", busy, r.Warnings)
	}
	for _, name := range others {
		if !dbExists(t, name) {
			t.Errorf("%s was dropped: it is not this database's scratch database", name)
		}
	}
}

func TestRestoreRefusesLiveDatabase(t *testing.T) {
	live, dir, _ := backedUp(t, pgtest.Seed{Companies: 1, Keys: 200, Days: 10})
	u, _ := url.Parse(live)
	localhost := *u
	localhost.Host = "localhost:" + u.Port()
	pw, _ := u.User.Password()
	kv := func(db string) string {
		return fmt.Sprintf("host=127.0.0.1 port=%s user=%s password='%s' dbname=%s sslmode=disable", u.Port(), u.User.Username(),
			strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(pw), db)
	}
	tests := []struct {
		name    string
		target  string
		wantErr error
	}{
		{"localhost for 127.0.0.1", localhost.String(), jobs.ErrLiveDatabase},
		{"key=value form", kv(dbNameOf(live)), jobs.ErrLiveDatabase},
		{"maintenance database in key=value form", kv("postgres"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := restoreJob(t, live, dir, pgtest.BinDir(t))
			job.Config.RestoreDatabaseURL = tt.target
			_, perr := job.Preview(context.Background(), "")
			r, err := job.Run(context.Background(), jobs.RestoreOptions{}, nil)
			if !errors.Is(err, tt.wantErr) || !errors.Is(perr, tt.wantErr) {
				t.Fatalf("run %v, preview %v; want %v", err, perr, tt.wantErr)
			}
			if tt.wantErr != nil {
				assertFailedCleanly(t, live, r, err, "preflight", "RESTORE_DATABASE_URL reaches "+dbNameOf(live))
				if len(r.Steps) != 1 || r.Scratch != "" {
					t.Errorf("a refused run went on: %+v", r.Steps)
				}
			}
		})
	}
}

func TestRestoreRefusesOldPgRestore(t *testing.T) {
	url, dir, m := backedUp(t, pgtest.Seed{Companies: 1, Keys: 200, Days: 10})
	tools := pgtest.ToolsDir(t, map[string]string{"pg_restore": "echo 'pg_restore (PostgreSQL) 9.6.24'\n"})
	r, err := restoreJob(t, url, dir, tools).Run(context.Background(), jobs.RestoreOptions{}, nil)
	assertFailedCleanly(t, url, r, err, "preflight", "pg_restore 9.6.24 cannot handle server")
	if r.Scratch != "" || len(proofs(t, dir, m)) != 0 {
		t.Errorf("a refused run made something: %+v", r)
	}
}

func TestRestoreCancelledMidway(t *testing.T) {
	url, dir, m := backedUp(t, pgtest.Seed{Companies: 1, Keys: 2000, Days: 10})
	real := filepath.Join(pgtest.BinDir(t), "pg_restore")
	// Restores, then hangs: the cancel lands while pg_restore still runs.
	slow := `if [ "$1" = --version ]; then exec "` + real + `" --version; fi
"` + real + `" "$@"
sleep 60
`
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	job := restoreJob(t, url, dir, pgtest.ToolsDir(t, map[string]string{"pg_restore": slow}))
	start := time.Now()
	r, err := job.Run(ctx, jobs.RestoreOptions{}, func(p jobs.RestoreProgress) {
		if p.Step == "restoring" && p.FedBytes > 0 && p.FedBytes == p.TotalBytes {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || time.Since(start) > 30*time.Second {
		t.Fatalf("want a prompt cancel, got %v after %s", err, time.Since(start))
	}
	assertFailedCleanly(t, url, r, err, "restore", "context canceled")
	if !r.Dropped || len(proofs(t, dir, m)) != 0 {
		t.Errorf("dropped %v; a cancel is no verdict on the backup: %+v", r.Dropped, proofs(t, dir, m))
	}
}

func TestRestoreLockedByAnotherJob(t *testing.T) {
	url, dir, _ := backedUp(t, pgtest.Seed{Companies: 1, Keys: 100, Days: 10})
	other := openDB(t, url)
	lock, err := other.TryLock(context.Background(), "backup", "schedule", time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock(context.Background())
	r, err := restoreJob(t, url, dir, pgtest.BinDir(t)).Run(context.Background(), jobs.RestoreOptions{}, nil)
	if !errors.Is(err, jobs.ErrAlreadyRunning) {
		t.Fatalf("want ErrAlreadyRunning, got %v", err)
	}
	assertFailedCleanly(t, url, r, err, "lock", "backup already running since 03:00:00 UTC, started by schedule")
}

func leftoverNames(ls []jobs.LeftoverDatabase) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Name)
	}
	return out
}
