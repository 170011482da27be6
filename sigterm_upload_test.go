package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/s3test"
	"github.com/pgkeeper/pgkeeper/remote"
)

// SIGTERM while `pgkeeper backup` is uploading to a remote stops it
// promptly: nothing is visible in the bucket, no multipart upload is left
// pending, the verified local backup stays, and the run says the copy was
// stopped and exits 1.
func TestBackupSIGTERMDuringUpload(t *testing.T) {
	srv := s3test.Start(t)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"DATABASE_URL": pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 2000, Days: 10}),
		"PG_BIN_DIR":   pgtest.BinDir(t), "BACKUP_DIR": filepath.Join(t.TempDir(), "b"),
		"BACKUP_REMOTES": "msk=s3://" + s3test.Bucket + "/pg", "AWS_ENDPOINT_URL": srv.URL, "AWS_CA_BUNDLE": ca,
		"AWS_REGION": s3test.Region, "AWS_ACCESS_KEY_ID": s3test.AccessKeyID, "AWS_SECRET_ACCESS_KEY": s3test.SecretAccessKey,
	}
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
	if objs, err := b.List(context.Background(), ""); err != nil || len(objs) != 0 {
		t.Errorf("the bucket holds %+v (%v) after a stopped upload", objs, err)
	}
	if n, err := b.AbortStale(context.Background(), 0); err != nil || n != 0 {
		t.Errorf("%d multipart uploads left pending (%v)", n, err)
	}
	// The local backup was verified before the upload was stopped: it stays.
	if m, _ := filepath.Glob(filepath.Join(env["BACKUP_DIR"], "*.manifest.json")); len(m) != 1 {
		t.Errorf("local manifests %v, want the one verified backup", m)
	}
	if out := p.stdout.String() + p.stderr.String(); !strings.Contains(out, "stopped") {
		t.Errorf("the run does not say it was stopped:\n%s", out)
	}
}
