package jobs_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/pgversion"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// With a newer fake major listed first in PG_BIN_DIR, a real backup, its
// restore test, status and check all still pick the machine's own major for
// its server: the fake tools only answer --version, so running one for real
// would fail the backup.
func TestRealServerGetsItsOwnMajor(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 500, Days: 10})
	num, _, err := openDB(t, url).ServerVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv := pgversion.FromNum(num)
	real := pgtest.BinDir(t)
	newer := fakeBin(t, filepath.Join(t.TempDir(), "newer", "bin"), srv.Major+2)
	bins := newer + "," + real
	dir := t.TempDir()

	r, err := backupJob(t, url, dir, bins).Run(ctx, jobs.BackupOptions{Trigger: "test"}, nil)
	if err != nil {
		t.Fatalf("backup with PG_BIN_DIR=%s: %v", bins, err)
	}
	if v, _ := pgversion.Parse(r.Manifest.PgDumpVersion); v.Major != srv.Major || r.Manifest.Globals == "" {
		t.Fatalf("pg_dump %s for server %s, globals %q: want pg_dump %d and its pg_dumpall",
			r.Manifest.PgDumpVersion, srv, r.Manifest.Globals, srv.Major)
	}

	rr, err := restoreJob(t, url, dir, bins).Run(ctx, jobs.RestoreOptions{}, nil)
	if err != nil || !rr.OK() {
		t.Fatalf("restore test with PG_BIN_DIR=%s: %v %+v", bins, err, rr.Error)
	}

	st := statusJob(openDB(t, url), bins, time.Now()).Run(ctx)
	for _, ts := range st.Tools {
		if filepath.Dir(ts.Path) != real || ts.Problem != "" || ts.Error != "" {
			t.Errorf("status picked %+v, want the one in %s", ts, real)
		}
	}

	for _, c := range (&jobs.Check{DB: openDB(t, url), PGBinDir: bins, BackupDir: t.TempDir()}).Run(ctx) {
		if (c.Name == "pg_dump" || c.Name == "pg_restore") && (!c.OK || !strings.Contains(c.Detail, real)) {
			t.Errorf("check %s: %s, want ok with %s", c.Name, c.Detail, real)
		}
	}
}

// With only an older major at hand, the refusal names the database and its
// server, the package to install and what was found, never the password.
func TestRealServerRefusedWithTheFix(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDB(t)
	db := openDB(t, url)
	num, _, err := db.ServerVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv := pgversion.FromNum(num)
	older := fakeBin(t, filepath.Join(t.TempDir(), "older", "bin"), srv.Major-2)

	r, err := backupJob(t, url, t.TempDir(), older).Run(ctx, jobs.BackupOptions{}, nil)
	if err == nil || r.FailedAt != "preflight" {
		t.Fatalf("want a refusal at preflight, got step %q, %v", r.FailedAt, err)
	}
	for _, w := range []string{
		"cannot handle server " + srv.String() + " (" + db.Database() + " on " + db.Host() + ")",
		"install postgresql-client-" + srv.MajorString() + ", or add its bin directory to PG_BIN_DIR",
		"found: " + pgversion.Version{Major: srv.Major - 2}.MajorString() + " (" + older + ")",
	} {
		if !strings.Contains(r.Error, w) {
			t.Errorf("%q missing in %q", w, r.Error)
		}
	}
	if pw := pgtest.Password(t); pw != "" && strings.Contains(r.Error+err.Error(), pw) {
		t.Errorf("password in %q", r.Error)
	}
}
