package service

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/backoff"
	"github.com/pgkeeper/pgkeeper/internal/testkit/metricstest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/s3test"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/remote"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// serviceRemote is a remote on srv; nil srv: one that refuses connections.
func serviceRemote(name string, srv *s3test.Server) jobs.RemoteSpec {
	cfg := remote.Config{Name: name, Bucket: s3test.Bucket, Prefix: name, Region: s3test.Region, Endpoint: "https://127.0.0.1:1",
		AccessKeyID: s3test.AccessKeyID, SecretAccessKey: s3test.SecretAccessKey,
		Attempts: 1, Backoff: backoff.Backoff{Min: time.Millisecond, Max: time.Millisecond}}
	if srv != nil {
		cfg.Endpoint, cfg.HTTPClient = srv.URL, srv.Client
	}
	return jobs.RemoteSpec{Name: name, Config: cfg}
}

// TestMetricsSeedRemotes: at start, each configured remote's series exist,
// its failures at 0 and its last success from what is known: the bucket's
// listing when it answers, the local records when it does not.
func TestMetricsSeedRemotes(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 200, Days: 10})
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	a := newService(t, url, map[string]string{"HTTP_ADDR": "127.0.0.1:0"})
	if _, err := a.Jobs.Backup.Run(ctx, jobs.BackupOptions{Trigger: vocab.TriggerShell}, nil); err != nil {
		t.Fatal(err)
	}
	l, err := a.Jobs.Catalog.List(ctx)
	if err != nil || len(l.Backups) != 1 {
		t.Fatalf("listing: %v, %d backups", err, len(l.Backups))
	}
	m := l.Backups[0]
	srv := s3test.Start(t)
	msk, spb := serviceRemote("msk", srv), serviceRemote("spb", nil)
	// msk holds the backup; the local records say it was copied to both,
	// spb's record an hour older (as a copy filled later would be).
	uploaded := m.End.Add(time.Minute).Truncate(time.Second)
	mskCopy := putCopy(t, msk, a.Config.BackupDir, m, uploaded)
	spbCopy := mskCopy
	spbCopy.Remote, spbCopy.At = "spb", uploaded.Add(-time.Hour)
	m.Remotes = []jobs.RemoteCopy{mskCopy, spbCopy}
	if err := jobs.SaveManifest(a.Config.BackupDir, m); err != nil {
		t.Fatal(err)
	}
	a.Jobs.Status.Config.Remotes = []jobs.RemoteSpec{msk, spb}

	addr, err := a.StartMetrics(ctx, &wg)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		`pgkeeper_remote_failures_total{remote="msk"}`:                 0,
		`pgkeeper_remote_failures_total{remote="spb"}`:                 0,
		`pgkeeper_remote_last_success_timestamp_seconds{remote="msk"}`: float64(uploaded.Unix()),
		`pgkeeper_remote_last_success_timestamp_seconds{remote="spb"}`: float64(spbCopy.At.Unix()),
	}
	var page string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		_, page = metricstest.Get(t, "http://"+addr.String()+"/metrics")
		// The status report is seeded last: when its figures are there, so is the rest.
		if _, ok := metricstest.Sample(page, "pgkeeper_database_size_bytes"); ok || time.Now().After(deadline) {
			break
		}
	}
	for series, v := range want {
		if got, ok := metricstest.Sample(page, series); !ok || got != v {
			t.Errorf("%s = %v (exported %v), want %v", series, got, ok, v)
		}
	}
}

// putCopy puts m's dump and remote manifest on spec's bucket, laid out as an
// upload would, and returns the copy's record.
func putCopy(t *testing.T, spec jobs.RemoteSpec, dir string, m jobs.Manifest, at time.Time) jobs.RemoteCopy {
	t.Helper()
	b, err := remote.New(t.Context(), spec.Config)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, m.DumpFile()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sent, err := b.Put(t.Context(), m.DumpFile(), f)
	if err != nil || sent.SHA256 != m.SHA256 {
		t.Fatalf("put: %v; sha256 %s, want %s", err, sent.SHA256, m.SHA256)
	}
	c := jobs.RemoteCopy{Remote: spec.Name, Key: m.DumpFile(), Size: sent.Size, SHA256: sent.SHA256, Verified: true, VerifiedBy: "read back", At: at}
	rm := m
	rm.Remotes = []jobs.RemoteCopy{c}
	data, err := json.Marshal(rm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(t.Context(), m.Name+".manifest.json", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	return c
}
