package main

import (
	"maps"
	"os"
	"path/filepath"
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
