package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/s3test"
)

// `pgkeeper check` probes every remote of the configuration as a backup
// would, says what to fix, exits 1 when one fails, and shows no secret.
func TestCheckProbesRemotes(t *testing.T) {
	// spb has keys of its own, and a wrong secret; gone names a missing bucket.
	srv, env := mskAndSpb(t, map[string]string{
		"DATABASE_URL": pgtest.NewDB(t), "PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": filepath.Join(t.TempDir(), "b"),
		"BACKUP_REMOTES": "msk=s3://" + s3test.Bucket + "/pg,spb=s3://" + s3test.Bucket + "/pg2,gone=s3://no-such-bucket",
	})
	code, out, errOut := runCLI(t, env, "check")
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s%s", code, out, errOut)
	}
	for _, w := range []string{
		"ok    remote msk   s3://pgkeeper/pg at " + srv.URL + ": wrote, read back, listed and deleted a probe object",
		"FAIL  remote spb   s3://pgkeeper/pg2 at " + srv.URL + ": write failed",
		"Fix: check the access key " + s3test.AccessKeyID + " and its secret key: BACKUP_REMOTE_SPB_ACCESS_KEY_ID",
		"FAIL  remote gone  s3://no-such-bucket at " + srv.URL + ": write failed",
		"Fix: create bucket no-such-bucket there",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("missing %q in:\n%s", w, out)
		}
	}
	showsNoSecret(t, "check", out+errOut)
}
