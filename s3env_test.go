package main

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/s3test"
)

// startS3 runs an S3 API for a test and returns it with the variables an
// operator would set to reach it through the default chain (AWS_*, its
// certificate as the CA bundle), merged over env.
func startS3(t *testing.T, env map[string]string) (*s3test.Server, map[string]string) {
	t.Helper()
	srv := s3test.Start(t)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{
		"AWS_ENDPOINT_URL": srv.URL, "AWS_CA_BUNDLE": ca, "AWS_REGION": s3test.Region,
		"AWS_ACCESS_KEY_ID": s3test.AccessKeyID, "AWS_SECRET_ACCESS_KEY": s3test.SecretAccessKey,
	}
	maps.Copy(out, env)
	return srv, out
}

// wrongSecret is spb's secret key in the two-remote setups: never shown.
const wrongSecret = "wrong-secret-do-not-leak"

// mskAndSpb is env with two remotes in one S3 API: msk reached with the
// AWS_* keys, spb with its own keys and a wrong secret.
func mskAndSpb(t *testing.T, env map[string]string) (*s3test.Server, map[string]string) {
	t.Helper()
	with := map[string]string{
		"BACKUP_REMOTES":                      "msk=s3://" + s3test.Bucket + "/pg,spb=s3://" + s3test.Bucket + "/pg2",
		"BACKUP_REMOTE_SPB_ACCESS_KEY_ID":     s3test.AccessKeyID,
		"BACKUP_REMOTE_SPB_SECRET_ACCESS_KEY": wrongSecret,
	}
	maps.Copy(with, env)
	return startS3(t, with)
}

// showsNoSecret fails the test when output carries either secret key.
func showsNoSecret(t *testing.T, what, output string) {
	t.Helper()
	for _, s := range []string{s3test.SecretAccessKey, wrongSecret} {
		if strings.Contains(output, s) {
			t.Errorf("%s shows a secret key:\n%s", what, output)
		}
	}
}
