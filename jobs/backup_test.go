package jobs_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

func backupJob(t *testing.T, url, dir, binDir string) *jobs.Backup {
	t.Helper()
	return &jobs.Backup{DB: openDB(t, url), Config: jobs.BackupConfig{
		DatabaseURL: url, Dir: dir, PGBinDir: binDir,
		Retention: jobs.Retention{KeepDaily: 7, KeepMonthly: 4}, DropWarn: 0.2,
		FingerprintTables: []vocab.Ident{{Name: "whatsapp_auth"}},
	}}
}

// listed is the verified backups of url's database in dir, newest first.
func listed(t *testing.T, url, dir string) []jobs.Manifest {
	t.Helper()
	l, err := jobs.Catalog{Dir: dir, DB: openDB(t, url)}.List(context.Background())
	if err != nil {
		t.Fatalf("list backups: %v", err)
	}
	return l.Backups
}

// listedLike is the verified backups in dir of m's origin, newest first.
func listedLike(dir string, m jobs.Manifest) ([]jobs.Manifest, error) {
	l, err := jobs.ReadListing(dir, jobs.Origin{SystemID: m.SystemID, Database: m.Database})
	return l.Backups, err
}

// files lists a directory's names, to prove what a run left behind.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

func TestBackupVerifiedAndCountsMatch(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 3, Keys: 5000, Days: 60})
	dir := filepath.Join(t.TempDir(), "backups")
	var steps []string
	r, err := backupJob(t, url, dir, pgtest.BinDir(t)).Run(context.Background(), jobs.BackupOptions{Trigger: "test"},
		func(p jobs.BackupProgress) { steps = append(steps, p.Step) })
	if err != nil {
		t.Fatalf("backup failed: %v\n%+v", err, r)
	}
	m := r.Manifest
	if !m.Verified || m.Kind != jobs.KindMonthly || m.SHA256 == "" || m.CompressedBytes <= 0 || m.RawBytes <= m.CompressedBytes/2 {
		t.Fatalf("manifest incomplete: %+v", m)
	}
	for _, tc := range m.Tables {
		if got := pgtest.QueryInt(t, url, "SELECT count(*) FROM "+tc.Table); got != tc.Rows {
			t.Errorf("%s: manifest %d rows, table %d", tc.Table, tc.Rows, got)
		}
	}
	if len(m.Tables) != 2 || m.Fingerprints["public.whatsapp_auth"] == "" {
		t.Errorf("tables or fingerprint missing: %+v %v", m.Tables, m.Fingerprints)
	}
	for _, c := range r.Checks {
		if !c.OK {
			t.Errorf("check %s failed: %s", c.Name, c.Detail)
		}
	}
	st, err := os.Stat(filepath.Join(dir, m.DumpFile()))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("dump file: %v, mode %v", err, st.Mode())
	}
	if dst, _ := os.Stat(dir); dst.Mode().Perm() != 0o700 {
		t.Errorf("backup dir mode %v, want 0700", dst.Mode().Perm())
	}
	list := listed(t, url, dir)
	if len(list) != 1 || list[0].Name != m.Name {
		t.Fatalf("ListBackups = %+v", list)
	}
	// The dump restores with the real pg_restore and holds the same rows.
	target := pgtest.NewDB(t)
	cmd := exec.Command("sh", "-c", "zstd -dc \"$1\" | \"$2\" --no-owner -d \"$3\"", "sh",
		filepath.Join(dir, m.DumpFile()), filepath.Join(pgtest.BinDir(t), "pg_restore"), dbNameOf(target))
	cmd.Env = append(os.Environ(), "PGPASSWORD="+pgtest.Password(t))
	cmd.Env = append(cmd.Env, pgEnv(t, target)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	if got := pgtest.QueryInt(t, target, "SELECT count(*) FROM whatsapp_keys"); got != m.Tables[1].Rows {
		t.Errorf("restored %d keys, manifest says %d", got, m.Tables[1].Rows)
	}
	// With a fresh backup, status is healthy and shows it.
	sr := statusJob(openDB(t, url), pgtest.BinDir(t), time.Now())
	sr.Config.BackupDir, sr.Config.BackupMaxAge = dir, 26*time.Hour
	rep := sr.Run(context.Background())
	if rep.Level() != jobs.LevelOK || rep.LastBackup == nil || rep.LastBackup.Name != m.Name {
		t.Fatalf("status after a backup: %v %+v", rep.Level(), rep.Findings)
	}
}

func dbNameOf(url string) string {
	return url[strings.LastIndex(url, "/")+1 : strings.Index(url, "?")]
}

func pgEnv(t *testing.T, url string) []string {
	env, err := store.ClientEnv(url, "")
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func TestBackupFaults(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 2, Keys: 4000, Days: 60})
	real := filepath.Join(pgtest.BinDir(t), "pg_dump")
	tests := []struct {
		name     string
		url      string
		tools    map[string]string
		wantStep string
		wantErr  string
	}{
		{"server unreachable", "postgres://u:pw@127.0.0.1:1/x?connect_timeout=2", nil, "connect", "database unreachable"},
		{"pg_dump missing", url, map[string]string{"pg_dump": ""}, "preflight", "pg_dump in PG_BIN_DIR"},
		{"pg_dump older than the server", url, map[string]string{"pg_dump": "echo 'pg_dump (PostgreSQL) 9.6.24'\n"}, "preflight",
			"pg_dump 9.6.24 cannot handle server"},
		{"pg_dump killed midway", url, map[string]string{"pg_dump": `if [ "$1" = --version ]; then exec "` + real + `" --version; fi
"` + real + `" "$@" | head -c 300000
kill -KILL $$
`}, "pg_dump", "pg_dump"},
		{"pg_dump writes nothing and exits 0", url, map[string]string{"pg_dump": `if [ "$1" = --version ]; then exec "` + real + `" --version; fi
exit 0
`}, "verify", "larger than an empty dump"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			old := seedOldBackup(t, url, dir)
			r, err := backupJob(t, tt.url, dir, pgtest.ToolsDir(t, tt.tools)).Run(context.Background(), jobs.BackupOptions{}, nil)
			if err == nil || r.FailedAt != tt.wantStep || !strings.Contains(r.Error, tt.wantErr) {
				t.Fatalf("want failure at %s with %q, got step %q err %v", tt.wantStep, tt.wantErr, r.FailedAt, err)
			}
			if strings.Contains(r.Error, "\n") {
				t.Errorf("reason is not one line: %q", r.Error)
			}
			assertOnlyBackup(t, dir, old)
		})
	}
}

// seedOldBackup makes one real verified backup to prove later failures never delete it.
func seedOldBackup(t *testing.T, url, dir string) jobs.Manifest {
	t.Helper()
	r, err := backupJob(t, url, dir, pgtest.BinDir(t)).Run(context.Background(), jobs.BackupOptions{}, nil)
	if err != nil {
		t.Fatalf("seed backup: %v", err)
	}
	return r.Manifest
}

// assertOnlyBackup checks that the listing holds exactly old, and no partial file is among the backups.
func assertOnlyBackup(t *testing.T, dir string, old jobs.Manifest) {
	t.Helper()
	list, err := listedLike(dir, old)
	if err != nil || len(list) != 1 || list[0].Name != old.Name {
		t.Fatalf("backups after a failure: %+v (%v)", list, err)
	}
	for _, f := range files(t, dir) {
		if strings.HasPrefix(f, "failed/") || strings.HasPrefix(f, old.Name) {
			continue
		}
		t.Errorf("left behind among the backups: %s", f)
	}
}

func TestBackupCancelledMidway(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 2, Keys: 30000, Days: 60})
	dir := t.TempDir()
	old := seedOldBackup(t, url, dir)
	real := filepath.Join(pgtest.BinDir(t), "pg_dump")
	// A pg_dump that streams slowly, so the cancel lands mid-dump.
	slow := `if [ "$1" = --version ]; then exec "` + real + `" --version; fi
"` + real + `" "$@" | while IFS= read -r line; do printf '%s\n' "$line"; sleep 0.01; done
`
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := backupJob(t, url, dir, pgtest.ToolsDir(t, map[string]string{"pg_dump": slow})).Run(ctx, jobs.BackupOptions{}, func(p jobs.BackupProgress) {
			if p.RawBytes > 0 {
				cancel()
			}
		})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !errors.Is(err, context.Canceled) {
			t.Fatalf("want a cancelled backup, got %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("backup did not stop after cancel")
	}
	assertOnlyBackup(t, dir, old)
}

func TestBackupDiskFullMidway(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 2, Keys: 8000, Days: 60})
	dir := filepath.Join(t.TempDir(), "small")
	os.MkdirAll(dir, 0o700)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	// A previous backup whose manifest claims a tiny compression ratio makes
	// the space estimate pass, so the disk fills midway.
	db := openDB(t, url).Database()
	start := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	old := jobs.Manifest{Format: 1, Name: db + "-" + start.Format("20060102T150405Z"), Database: db, Start: start, Kind: jobs.KindDaily,
		DatabaseBytes: 1 << 40, CompressedBytes: 1, Verified: true}
	os.WriteFile(filepath.Join(dir, old.DumpFile()), []byte("x"), 0o600)
	if err := jobs.SaveManifest(dir, old); err != nil {
		t.Fatal(err)
	}
	r, err := backupJob(t, url, dir, pgtest.BinDir(t)).Run(context.Background(), jobs.BackupOptions{}, nil)
	if !errors.Is(err, jobs.ErrDiskFull) || r.FailedAt != "pg_dump" {
		t.Fatalf("want disk full during pg_dump, got step %q: %v", r.FailedAt, err)
	}
	// pg_dump said nothing: the report says what filled up, not "read pg_dump's message".
	if text := render.Backup(r, render.Plain); !r.DiskFull || strings.Contains(text, "message above") || !strings.Contains(text, "BACKUP_DIR filled up") {
		t.Errorf("disk full %v, pg_dump said %q; report:\n%s", r.DiskFull, r.ToolSaid, text)
	}
	assertOnlyBackup(t, dir, old)
}

func TestBackupRefusesWithoutRoom(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 2, Keys: 8000, Days: 60})
	dir := filepath.Join(t.TempDir(), "tiny")
	os.MkdirAll(dir, 0o700)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	r, err := backupJob(t, url, dir, pgtest.BinDir(t)).Run(context.Background(), jobs.BackupOptions{}, nil)
	if !errors.Is(err, jobs.ErrDiskFull) || r.FailedAt != "preflight" || !strings.Contains(r.Error, "free") {
		t.Fatalf("want a refusal before writing, got step %q: %v", r.FailedAt, err)
	}
	if f := files(t, dir); len(f) != 0 {
		t.Fatalf("a refused backup wrote %v", f)
	}
}

func TestBackupPasswordNeverInArgv(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 200, Days: 10})
	real := filepath.Join(pgtest.BinDir(t), "pg_dump")
	record := filepath.Join(t.TempDir(), "argv")
	spy := `if [ "$1" = --version ]; then exec "` + real + `" --version; fi
printf '%s\n' "$@" > "` + record + `"
[ "$PGPASSWORD" = '` + strings.ReplaceAll(pgtest.TestPassword, "'", `'\''`) + `' ] || { echo "PGPASSWORD not passed" >&2; exit 3; }
exec "` + real + `" "$@"
`
	dir := t.TempDir()
	r, err := backupJob(t, url, dir, pgtest.ToolsDir(t, map[string]string{"pg_dump": spy})).Run(context.Background(), jobs.BackupOptions{}, nil)
	if err != nil {
		t.Fatalf("backup with a password full of shell characters: %v %+v", err, r)
	}
	argv, _ := os.ReadFile(record)
	if len(argv) == 0 || strings.Contains(string(argv), "p@ss") || strings.Contains(string(argv), "postgres://") {
		t.Fatalf("pg_dump argv carries the connection: %q", argv)
	}
}

func TestBackupLockedAcrossProcesses(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 100, Days: 10})
	other := openDB(t, url) // stands for another pgkeeper process: its own pool
	lock, err := other.TryLock(context.Background(), "backup", "@ann (1)", time.Date(2026, 1, 1, 3, 0, 12, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock(context.Background())
	dir := t.TempDir()
	r, err := backupJob(t, url, dir, pgtest.BinDir(t)).Run(context.Background(), jobs.BackupOptions{}, nil)
	if !errors.Is(err, jobs.ErrAlreadyRunning) || !strings.Contains(r.Error, "already running since 03:00:12 UTC, started by @ann (1)") {
		t.Fatalf("want already running with the holder, got %v / %q", err, r.Error)
	}
	if f := files(t, dir); len(f) != 0 {
		t.Fatalf("a locked-out backup wrote %v", f)
	}
}

func TestBackupWarnsOnDropAndAppliesRetention(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 2, Keys: 3000, Days: 60})
	dir := t.TempDir()
	job := backupJob(t, url, dir, pgtest.BinDir(t))
	job.Config.Retention = jobs.Retention{KeepDaily: 1, KeepMonthly: 1}
	clock := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)
	job.Now = func() time.Time { return clock }
	var names []string
	for i := 0; i < 3; i++ {
		if i == 2 {
			pgtest.Exec(t, url, "DELETE FROM whatsapp_keys WHERE random() < 0.5")
		}
		r, err := job.Run(context.Background(), jobs.BackupOptions{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, r.Manifest.Name)
		if i == 2 {
			if len(r.Warnings) == 0 || !strings.Contains(r.Warnings[0].Text, "public.whatsapp_keys fell from") {
				t.Errorf("want a drop warning, got %+v", r.Warnings)
			}
			if len(r.Deleted) != 1 || r.Deleted[0] != names[1]+".dump.zst" {
				t.Errorf("retention deleted %v, want the older daily %s", r.Deleted, names[1])
			}
		}
		clock = clock.Add(24 * time.Hour)
	}
	list := listed(t, url, dir)
	if len(list) != 2 || list[0].Name != names[2] || list[1].Name != names[0] || list[1].Kind != jobs.KindMonthly {
		t.Fatalf("kept %+v, want newest daily and the monthly", list)
	}
	// A dry run writes nothing and deletes nothing.
	before := files(t, dir)
	r, err := job.Run(context.Background(), jobs.BackupOptions{DryRun: true}, nil)
	if err != nil || !r.DryRun {
		t.Fatal(err)
	}
	if after := files(t, dir); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Fatalf("dry run changed files: %v -> %v", before, after)
	}
}
