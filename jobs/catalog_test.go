package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// clockedBackups makes n real backups of url into dir, a day apart, the
// newest last, and returns their manifests.
func clockedBackups(t *testing.T, url, dir string, n int, keepDaily int) []jobs.Manifest {
	t.Helper()
	clock := time.Date(2026, 5, 10, 3, 0, 0, 0, time.UTC)
	var out []jobs.Manifest
	for range n {
		b := backupJob(t, url, dir, pgtest.BinDir(t))
		b.Config.Retention.KeepDaily = keepDaily
		b.Now = func() time.Time { return clock }
		r, err := b.Run(context.Background(), jobs.BackupOptions{Trigger: "test"}, nil)
		if err != nil {
			t.Fatalf("backup: %v", err)
		}
		out = append(out, r.Manifest)
		clock = clock.Add(24 * time.Hour)
	}
	return out
}

// editManifest rewrites a manifest's JSON fields, as a tampered copy would.
func editManifest(t *testing.T, dir, name string, edit func(map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, name+".manifest.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	data, _ = json.Marshal(m)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A manifest read back from disk is untrusted: whatever it names, retention
// deletes only the files of the backup's own name, and a manifest naming
// anything else is broken, so nothing is deleted for it.
func TestRetentionDeletesNothingATamperedManifestNames(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 300, Days: 60})
	base := filepath.Join(t.TempDir(), "base")
	made := clockedBackups(t, url, base, 2, 7) // a monthly, then a daily
	older := made[1]
	tests := []struct {
		name   string
		edit   func(m map[string]any, victim string)
		reason string
	}{
		{"globals outside", func(m map[string]any, victim string) { m["globals"] = "../victim.txt" }, "names a roles file not its own"},
		{"globals absolute", func(m map[string]any, victim string) { m["globals"] = victim }, "names a roles file not its own"},
		{"name outside", func(m map[string]any, victim string) { m["name"] = "../victim" }, "names another backup"},
		{"another backup's globals", func(m map[string]any, victim string) { m["globals"] = made[0].Name + ".globals.sql.zst" }, "names a roles file not its own"},
		{"another database", func(m map[string]any, victim string) { m["database"] = "postgres" }, "made for database"},
		{"a start in the future", func(m map[string]any, victim string) { m["start"] = "2099-01-01T00:00:00Z" }, "not the time in its name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			top := t.TempDir()
			dir := filepath.Join(top, "backups")
			copyDir(t, base, dir)
			victim := filepath.Join(top, "victim.txt")
			os.WriteFile(victim, []byte("not pgkeeper's"), 0o600)
			os.WriteFile(filepath.Join(top, "victim.dump.zst"), []byte("not pgkeeper's"), 0o600)
			editManifest(t, dir, older.Name, func(m map[string]any) { tt.edit(m, victim) })
			before := files(t, dir)

			b := backupJob(t, url, dir, pgtest.BinDir(t))
			b.Config.Retention.KeepDaily = 1
			b.Now = func() time.Time { return older.Start.Add(24 * time.Hour) }
			r, err := b.Run(context.Background(), jobs.BackupOptions{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Deleted) != 0 {
				t.Errorf("retention deleted %v; the only daily besides the new one is broken", r.Deleted)
			}
			for _, f := range []string{victim, filepath.Join(top, "victim.dump.zst")} {
				if _, err := os.Stat(f); err != nil {
					t.Errorf("%s is gone: %v", f, err)
				}
			}
			after := files(t, dir)
			for _, f := range before {
				if !slices.Contains(after, f) {
					t.Errorf("%s was deleted", f)
				}
			}
			l, err := jobs.ReadListing(dir, jobs.Origin{SystemID: older.SystemID, Database: older.Database})
			if err != nil || len(l.Broken) != 1 || l.Broken[0].Name != older.Name || !strings.Contains(l.Broken[0].Reason, tt.reason) {
				t.Fatalf("broken = %+v (%v), want %s saying %q", l.Broken, err, older.Name, tt.reason)
			}
		})
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}

// Two databases sharing a BACKUP_DIR: neither's sweep, retention, drop
// comparison or listing touches the other's backups.
func TestSharedBackupDirKeepsDatabasesApart(t *testing.T) {
	// big has fewer rows than rel: were big's next backup compared with
	// rel's, it would warn that rows fell.
	big := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 200, Days: 60})
	rel := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 2, Keys: 3000, Days: 60})
	dir := filepath.Join(t.TempDir(), "backups")
	bigOnly := clockedBackups(t, big, dir, 1, 1)[0]

	// A run of big in progress: its temporary dump exists and its process
	// holds it.
	live := filepath.Join(dir, strings.TrimSuffix(bigOnly.Name, "20260510T030000Z")+"20260601T030000Z.dump.zst.tmp")
	f, err := os.OpenFile(live, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}

	made := clockedBackups(t, rel, dir, 3, 1)
	if _, err := os.Stat(live); err != nil {
		t.Fatalf("rel's backups swept big's live .tmp: %v", err)
	}
	bl := listed(t, big, dir)
	if len(bl) != 1 || bl[0].Name != bigOnly.Name {
		t.Fatalf("big's backups after rel's retention: %+v", bl)
	}
	rl := listed(t, rel, dir)
	if len(rl) != 2 || rl[0].Name != made[2].Name {
		t.Fatalf("rel's listing: %+v", rl)
	}

	// big's next backup compares with big's last, not rel's newer, bigger
	// one, and its retention keeps rel's.
	b := backupJob(t, big, dir, pgtest.BinDir(t))
	b.Config.Retention.KeepDaily = 1
	b.Now = func() time.Time { return made[2].Start.Add(time.Hour) }
	r, err := b.Run(context.Background(), jobs.BackupOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Warnings) != 0 {
		t.Errorf("big was compared with another database's backup: %+v", r.Warnings)
	}
	if got := listed(t, rel, dir); len(got) != 2 {
		t.Errorf("big's retention touched rel's backups: %+v", got)
	}
	if _, err := os.Stat(live); err != nil {
		t.Fatalf("big's own sweep deleted a .tmp a live run holds: %v", err)
	}
	if l, _ := jobs.ReadListing(dir, jobs.Origin{SystemID: bigOnly.SystemID, Database: bigOnly.Database}); l.Others != 2 {
		t.Errorf("big's listing counts %d backups of others, want rel's 2", l.Others)
	}

	// Once its process is gone, the .tmp is a leftover: big's next run sweeps it.
	f.Close()
	b.Now = func() time.Time { return made[2].Start.Add(2 * time.Hour) }
	r, err = b.Run(context.Background(), jobs.BackupOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(r.Swept, filepath.Base(live)) {
		t.Errorf("swept %v, want the dead run's %s", r.Swept, filepath.Base(live))
	}
}

// The same database name on another server (a BACKUP_DIR shared by two
// servers): its backups are the other server's, never listed or deleted.
func TestBackupsOfAnotherServerAreLeftAlone(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 300, Days: 60})
	dir := filepath.Join(t.TempDir(), "backups")
	made := clockedBackups(t, url, dir, 2, 7)
	editManifest(t, dir, made[1].Name, func(m map[string]any) { m["system_identifier"] = "1234" })
	l, err := jobs.ReadListing(dir, jobs.Origin{SystemID: made[0].SystemID, Database: made[0].Database})
	if err != nil || len(l.Backups) != 1 || len(l.Broken) != 0 || l.Others != 1 {
		t.Fatalf("listing %+v (%v): want one backup and one of another server", l, err)
	}
	b := backupJob(t, url, dir, pgtest.BinDir(t))
	b.Config.Retention = jobs.Retention{KeepDaily: 1}
	b.Now = func() time.Time { return made[1].Start.Add(24 * time.Hour) }
	if _, err := b.Run(context.Background(), jobs.BackupOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, made[1].DumpFile())); err != nil {
		t.Errorf("the other server's backup was deleted: %v", err)
	}
}

// Database names become file names that stay inside BACKUP_DIR and read
// back; plain names keep theirs.
func TestOddDatabaseNamesStayInsideBackupDir(t *testing.T) {
	names := []string{"../esc", "My DB.v2", "ключи", "UPPER", "a/b/../../c", "100%"}
	top := t.TempDir()
	dir := filepath.Join(top, "x", "inner")
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			url := pgtest.NewNamedDB(t, name)
			pgtest.Exec(t, url, "CREATE TABLE whatsapp_auth (id int PRIMARY KEY); INSERT INTO whatsapp_auth SELECT generate_series(1, 50)")
			r, err := backupJob(t, url, dir, pgtest.BinDir(t)).Run(context.Background(), jobs.BackupOptions{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if filepath.Dir(r.Path) != dir || strings.ContainsAny(r.Manifest.Name, "/. ") {
				t.Fatalf("backup of %q written as %s", name, r.Path)
			}
			l, err := jobs.Catalog{Dir: dir, DB: openDB(t, url)}.List(context.Background())
			if err != nil || len(l.Backups) != 1 || l.Backups[0].Database != name {
				t.Fatalf("listing of %q: %+v (%v)", name, l, err)
			}
			if _, err := l.Find(dir, r.Manifest.DumpFile()); err != nil {
				t.Errorf("not found by its name: %v", err)
			}
		})
	}
	// Nothing outside BACKUP_DIR but the directory itself.
	entries, _ := os.ReadDir(filepath.Join(top, "x"))
	if len(entries) != 1 || entries[0].Name() != "inner" {
		var got []string
		for _, e := range entries {
			got = append(got, e.Name())
		}
		t.Errorf("written beside BACKUP_DIR: %v", got)
	}
}

// A restore test of a backup of "../esc" finds it by name and restores it.
func TestRestoreTestOfAnOddlyNamedDatabase(t *testing.T) {
	url := pgtest.NewNamedDB(t, "../esc")
	pgtest.Exec(t, url, "CREATE TABLE whatsapp_auth (id int PRIMARY KEY); INSERT INTO whatsapp_auth SELECT generate_series(1, 50)")
	dir := t.TempDir()
	br, err := backupJob(t, url, dir, pgtest.BinDir(t)).Run(context.Background(), jobs.BackupOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rr, err := restoreJob(t, url, dir, pgtest.BinDir(t)).Run(context.Background(), jobs.RestoreOptions{Backup: br.Manifest.Name}, nil)
	if err != nil || !rr.OK() || rr.Rows != 50 {
		t.Fatalf("restore test: %v %+v", err, rr)
	}
}

// Broken backups are listed with why and the space they hold, named when
// asked for, never deleted by a backup, and removed only by an explicit,
// confirmed prune, which touches nothing else.
func TestBrokenBackupsAreListedAndPrunedOnlyWhenAsked(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 300, Days: 60})
	other := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 10, Days: 60})
	dir := filepath.Join(t.TempDir(), "backups")
	made := clockedBackups(t, url, dir, 5, 7)
	theirs := clockedBackups(t, other, dir, 1, 7)[0]
	os.WriteFile(filepath.Join(dir, made[1].Name+".manifest.json"), []byte("{not json"), 0o600)
	os.Remove(filepath.Join(dir, made[2].DumpFile()))
	dumpSize := made[1].CompressedBytes
	outsider := filepath.Join(dir, "notes.txt")
	os.WriteFile(outsider, []byte("the operator's"), 0o600)

	cat := jobs.Catalog{Dir: dir, DB: openDB(t, url)}
	l, err := cat.List(context.Background())
	if err != nil || len(l.Backups) != 3 || len(l.Broken) != 2 {
		t.Fatalf("listing: %d backups, %d broken (%v); want 3 and 2", len(l.Backups), len(l.Broken), err)
	}
	want := map[string]string{made[1].Name: "does not read", made[2].Name: "has lost its dump"}
	for _, b := range l.Broken {
		if !strings.Contains(b.Reason, want[b.Name]) {
			t.Errorf("%s: reason %q, want %q", b.Name, b.Reason, want[b.Name])
		}
	}
	if l.Broken[1].Name != made[1].Name || l.Broken[1].Bytes < dumpSize {
		t.Errorf("the unreadable manifest's backup holds %d bytes, its dump alone %d", l.Broken[1].Bytes, dumpSize)
	}
	for _, f := range []render.Format{render.Plain, render.HTML} {
		if text := render.Backups(l, 1<<30, time.Now(), f); !strings.Contains(text, made[1].Name) || !strings.Contains(text, "--prune-broken") {
			t.Errorf("/backups does not show the broken backups:\n%s", text)
		}
	}
	st := statusJob(cat.DB, pgtest.BinDir(t), time.Now())
	st.Config.BackupDir = dir
	if text := render.Status(st.Run(context.Background()), render.Plain); !strings.Contains(text, "2 broken backups hold") {
		t.Errorf("/status does not warn of the broken backups:\n%s", text)
	}
	if _, err := cat.Find(context.Background(), made[2].Name); !errors.Is(err, jobs.ErrBrokenBackup) || !strings.Contains(err.Error(), "has lost its dump") {
		t.Errorf("asking for a broken backup: %v", err)
	}

	// A backup's retention never deletes them, however few it keeps.
	b := backupJob(t, url, dir, pgtest.BinDir(t))
	b.Config.Retention = jobs.Retention{KeepDaily: 1, KeepMonthly: 4}
	b.Now = func() time.Time { return made[4].Start.Add(24 * time.Hour) }
	if _, err := b.Run(context.Background(), jobs.BackupOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	if l, _ := cat.List(context.Background()); len(l.Broken) != 2 {
		t.Fatalf("a backup's retention removed broken backups: %+v", l.Broken)
	}

	before := files(t, dir)
	dry, err := cat.PruneBroken(context.Background(), true, "test", time.Now())
	if err != nil || len(dry.Broken) != 2 || len(dry.Removed) != 0 || !slices.Equal(before, files(t, dir)) {
		t.Fatalf("a dry prune: %+v, %v; files changed: %v", dry, err, !slices.Equal(before, files(t, dir)))
	}
	var brokenFiles []string
	for _, b := range dry.Broken {
		brokenFiles = append(brokenFiles, b.Files...)
	}
	done, err := cat.PruneBroken(context.Background(), false, "test", time.Now())
	slices.Sort(brokenFiles)
	slices.Sort(done.Removed)
	if err != nil || !slices.Equal(done.Removed, brokenFiles) || !slices.Contains(brokenFiles, made[1].DumpFile()) {
		t.Fatalf("prune removed %v (%v); want the broken backups' files %v", done.Removed, err, brokenFiles)
	}
	l, _ = cat.List(context.Background())
	if len(l.Broken) != 0 || len(l.Backups) != 2 {
		t.Errorf("after the prune: %d backups, %d broken", len(l.Backups), len(l.Broken))
	}
	if _, err := os.Stat(outsider); err != nil {
		t.Errorf("the prune removed a file not pgkeeper's: %v", err)
	}
	if got := listed(t, other, dir); len(got) != 1 || got[0].Name != theirs.Name {
		t.Errorf("the prune touched another database's backups: %+v", got)
	}
}
