package jobs_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/backoff"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/s3test"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/remote"
)

// remoteConfig is a remote on srv under prefix, with the smallest part size
// S3 allows and short retries; change adjusts it.
func remoteConfig(srv *s3test.Server, name, prefix string, change ...func(*remote.Config)) remote.Config {
	cfg := remote.Config{
		Name: name, Bucket: s3test.Bucket, Prefix: prefix, Endpoint: srv.URL, Region: s3test.Region,
		AccessKeyID: s3test.AccessKeyID, SecretAccessKey: s3test.SecretAccessKey,
		PartSize: remote.MinPartSize, Backoff: backoff.Backoff{Min: time.Millisecond, Max: 4 * time.Millisecond},
		HTTPClient: srv.Client,
	}
	for _, c := range change {
		c(&cfg)
	}
	return cfg
}

func remoteSpec(srv *s3test.Server, name, prefix string, keep jobs.Retention, change ...func(*remote.Config)) jobs.RemoteSpec {
	return jobs.RemoteSpec{Name: name, Config: remoteConfig(srv, name, prefix, change...), Keep: keep}
}

// bucketOf opens spec's bucket, to look at what a run left there.
func bucketOf(t *testing.T, spec jobs.RemoteSpec) *remote.Bucket {
	t.Helper()
	b, err := remote.New(context.Background(), spec.Config)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// offsiteJob is backupJob with remotes.
func offsiteJob(t *testing.T, url, dir string, specs ...jobs.RemoteSpec) *jobs.Backup {
	t.Helper()
	b := backupJob(t, url, dir, pgtest.BinDir(t))
	b.Config.Remotes = specs
	return b
}

func shaOf(t *testing.T, r io.Reader) string {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// objectSHA is the sha256 of key's bytes read back from b.
func objectSHA(t *testing.T, b *remote.Bucket, key string) string {
	t.Helper()
	rc, err := b.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer rc.Close()
	return shaOf(t, rc)
}

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return shaOf(t, f)
}

// keysIn lists every key under b's prefix.
func keysIn(t *testing.T, b *remote.Bucket) []string {
	t.Helper()
	objs, err := b.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	return keys
}

// noPendingUploads fails when b holds an incomplete multipart upload.
func noPendingUploads(t *testing.T, b *remote.Bucket) {
	t.Helper()
	// An age below zero takes every upload, however new.
	if n, err := b.AbortStale(context.Background(), -time.Hour, nil); err != nil || n != 0 {
		t.Errorf("%d multipart uploads were left pending (%v), want none", n, err)
	}
}

// remoteManifest reads and parses key's manifest from b.
func remoteManifest(t *testing.T, b *remote.Bucket, name string) jobs.Manifest {
	t.Helper()
	rc, err := b.Get(context.Background(), name+".manifest.json")
	if err != nil {
		t.Fatalf("remote manifest of %s: %v", name, err)
	}
	defer rc.Close()
	var m jobs.Manifest
	if err := json.NewDecoder(rc).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// localManifest reads name's manifest from dir.
func localManifest(t *testing.T, dir, name string) jobs.Manifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name+".manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m jobs.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// remoteListing is what spec's remote holds of m's origin.
func remoteListing(t *testing.T, spec jobs.RemoteSpec, m jobs.Manifest) jobs.RemoteListing {
	t.Helper()
	l, err := jobs.ReadRemoteListing(context.Background(), bucketOf(t, spec), spec.Name,
		jobs.Origin{SystemID: m.SystemID, Database: m.Database})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func names(ms []jobs.Manifest) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}
