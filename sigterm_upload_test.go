package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/s3test"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/remote"
	"github.com/pgkeeper/pgkeeper/store"
)

// SIGTERM while `pgkeeper backup` is uploading to a remote stops it
// promptly: nothing in the bucket is a backup (a dump whose whole body had
// reached the store may land, as on S3, but without its manifest it is
// not one), no multipart upload is left pending, the verified local backup
// stays, the run says the copy was stopped and exits 1; the next run makes
// the remote whole.
func TestBackupSIGTERMDuringUpload(t *testing.T) {
	srv, env := startS3(t, map[string]string{
		"DATABASE_URL": pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 2000, Days: 10}),
		"PG_BIN_DIR":   pgtest.BinDir(t), "BACKUP_DIR": filepath.Join(t.TempDir(), "b"),
		"BACKUP_REMOTES": "msk=s3://" + s3test.Bucket + "/pg",
	})
	release := srv.HoldPuts()
	defer release()
	p := startMain(t, env, "backup")
	p.waitUntil(t, "an upload caught in the middle", func() bool { return srv.Held() > 0 })
	code := p.terminate(t)
	release()
	if code == 0 {
		t.Fatalf("exit 0 after SIGTERM:\n%s\n%s", p.stdout.String(), p.stderr.String())
	}
	b, err := remote.New(context.Background(), remote.Config{Name: "msk", Bucket: s3test.Bucket, Prefix: "pg",
		Endpoint: srv.URL, Region: s3test.Region, AccessKeyID: s3test.AccessKeyID,
		SecretAccessKey: s3test.SecretAccessKey, HTTPClient: srv.Client})
	if err != nil {
		t.Fatal(err)
	}
	parts, err := store.ParseURL(env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	db := parts.Database
	if l, err := jobs.ReadRemoteListing(context.Background(), b, "msk", jobs.Origin{Database: db}); err != nil || len(l.Backups) != 0 {
		t.Errorf("the bucket holds backups %+v (%v) after a stopped upload", l.Backups, err)
	}
	if n, err := b.AbortStale(context.Background(), 0, nil); err != nil || n != 0 {
		t.Errorf("%d multipart uploads left pending (%v)", n, err)
	}
	// The local backup was verified before the upload was stopped: it stays.
	if m, _ := filepath.Glob(filepath.Join(env["BACKUP_DIR"], "*.manifest.json")); len(m) != 1 {
		t.Errorf("local manifests %v, want the one verified backup", m)
	}
	if out := p.stdout.String() + p.stderr.String(); !strings.Contains(out, "stopped") {
		t.Errorf("the run does not say it was stopped:\n%s", out)
	}
	if code, out, errOut := runCLI(t, env, "backup"); code != 0 {
		t.Fatalf("the next backup: exit %d\n%s%s", code, out, errOut)
	}
	if l, err := jobs.ReadRemoteListing(context.Background(), b, "msk", jobs.Origin{Database: db}); err != nil || len(l.Backups) != 2 {
		t.Errorf("after the next run the bucket holds %d backups (%v), want both", len(l.Backups), err)
	}
}
