package jobs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/backoff"
	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/s3test"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/remote"
)

// statusRemoteSpec is a remote on srv under prefix; a nil srv is one whose
// endpoint refuses every connection.
func statusRemoteSpec(name string, srv *s3test.Server, prefix string) jobs.RemoteSpec {
	cfg := remote.Config{Name: name, Bucket: s3test.Bucket, Prefix: prefix, Region: s3test.Region,
		AccessKeyID: s3test.AccessKeyID, SecretAccessKey: s3test.SecretAccessKey,
		Attempts: 2, Backoff: backoff.Backoff{Min: time.Millisecond, Max: 4 * time.Millisecond}}
	if srv != nil {
		cfg.Endpoint, cfg.HTTPClient = srv.URL, srv.Client
	} else {
		cfg.Endpoint = "https://127.0.0.1:1"
	}
	return jobs.RemoteSpec{Name: name, Config: cfg}
}

// statusUploadCopy puts m's dump and its remote manifest on spec's bucket,
// as an upload would lay them out, and returns the copy's record.
func statusUploadCopy(t *testing.T, spec jobs.RemoteSpec, dir string, m jobs.Manifest) jobs.RemoteCopy {
	t.Helper()
	ctx := context.Background()
	b, err := remote.New(ctx, spec.Config)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, m.DumpFile()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sent, err := b.Put(ctx, m.DumpFile(), f)
	if err != nil {
		t.Fatal(err)
	}
	if sent.SHA256 != m.SHA256 {
		t.Fatalf("sent sha256 %s, the dump's is %s", sent.SHA256, m.SHA256)
	}
	c := jobs.RemoteCopy{Remote: spec.Name, Key: m.DumpFile(), Size: sent.Size, SHA256: sent.SHA256,
		Verified: true, VerifiedBy: "read back", At: m.End}
	rm := m
	rm.Remotes = []jobs.RemoteCopy{c}
	data, err := json.Marshal(rm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(ctx, m.Name+".manifest.json", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestStatusRemotes: each remote's newest verified copy comes from listing
// its bucket; a bucket that does not answer is said to be unreachable and
// its figures come from the local records, labelled so; a remote with no
// copy, or only an old one, is a warning.
func TestStatusRemotes(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 200, Days: 10})
	dir := t.TempDir()
	if _, err := backupJob(t, url, dir, pgtest.BinDir(t)).Run(context.Background(), jobs.BackupOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	m := listed(t, url, dir)[0]
	srv := s3test.Start(t)
	msk, spb, empty := statusRemoteSpec("msk", srv, "prod"), statusRemoteSpec("spb", nil, "prod"), statusRemoteSpec("fresh", srv, "fresh")
	mskCopy := statusUploadCopy(t, msk, dir, m)
	// The local manifest records both copies, as the backup that made them would.
	spbCopy := mskCopy
	spbCopy.Remote = "spb"
	m.Remotes = []jobs.RemoteCopy{mskCopy, spbCopy}
	if err := jobs.SaveManifest(dir, m); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		age        time.Duration // of the backup at the report
		wantStale  []bool        // msk, spb, fresh
		wantFinds  []string
		notFinding string
	}{
		{"fresh copies", 2 * time.Hour, []bool{false, false, true},
			[]string{"remote spb (s3://pgkeeper/prod) could not be listed: list ", "dial tcp 127.0.0.1:1",
				"Unchecked, the local records show 1 verified copy there, the newest 2 h 0 min old", "remote fresh holds no verified copy"},
			"remote msk"},
		{"past BACKUP_MAX_AGE_HOURS", 30 * time.Hour, []bool{true, true, true},
			[]string{"newest verified copy on remote msk is 30 h 0 min old, over the 26 h 0 min limit",
				"newest verified copy on remote spb is 30 h 0 min old"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := statusJob(openDB(t, url), pgtest.BinDir(t), m.Start.Add(tt.age))
			job.Config.BackupDir, job.Config.BackupMaxAge = dir, 26*time.Hour
			job.Config.Remotes = []jobs.RemoteSpec{msk, spb, empty}
			r := job.Run(context.Background())
			if len(r.Remotes) != 3 {
				t.Fatalf("%d remotes in the report, want 3", len(r.Remotes))
			}
			got, down, none := r.Remotes[0], r.Remotes[1], r.Remotes[2]
			if !got.Listed || got.Copies != 1 || got.Newest == nil || got.Newest.Name != m.Name || got.Where != "s3://pgkeeper/prod" {
				t.Errorf("msk: %+v", got)
			} else if c, _ := got.Newest.CopyOn("msk"); c.SHA256 != m.SHA256 {
				t.Errorf("msk's newest copy has sha256 %s, the backup %s", c.SHA256, m.SHA256)
			}
			if down.Listed || down.Error == "" || down.Copies != 1 || down.Newest == nil || down.Newest.Name != m.Name {
				t.Errorf("spb, unreachable, from the local records: %+v", down)
			}
			if !none.Listed || none.Newest != nil || none.Copies != 0 {
				t.Errorf("fresh: %+v", none)
			}
			for i, rs := range r.Remotes {
				if rs.Stale != tt.wantStale[i] {
					t.Errorf("%s stale %v, want %v", rs.Name, rs.Stale, tt.wantStale[i])
				}
			}
			var all strings.Builder
			for _, f := range r.Findings {
				all.WriteString(f.Text + "\n")
			}
			for _, w := range tt.wantFinds {
				if !strings.Contains(all.String(), w) {
					t.Errorf("no finding says %q:\n%s", w, all.String())
				}
			}
			if tt.notFinding != "" && strings.Contains(all.String(), tt.notFinding) {
				t.Errorf("a finding names %q:\n%s", tt.notFinding, all.String())
			}
			if r.Level() < jobs.LevelWarn {
				t.Errorf("level %v, want at least a warning", r.Level())
			}
			text := render.Status(r, render.Plain)
			if strings.Contains(text, s3test.SecretAccessKey) || strings.Contains(all.String(), s3test.SecretAccessKey) {
				t.Errorf("the report shows the secret key:\n%s", text)
			}
			if !strings.Contains(text, "from the local records, not checked now") {
				t.Errorf("the fallback is not labelled:\n%s", text)
			}
		})
	}
}

// A remote holding the backup, the only one configured, with a fresh copy:
// no warning about remotes at all.
func TestStatusRemoteHealthy(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 200, Days: 10})
	dir := t.TempDir()
	if _, err := backupJob(t, url, dir, pgtest.BinDir(t)).Run(context.Background(), jobs.BackupOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	m := listed(t, url, dir)[0]
	srv := s3test.Start(t)
	msk := statusRemoteSpec("msk", srv, "")
	statusUploadCopy(t, msk, dir, m)
	job := statusJob(openDB(t, url), pgtest.BinDir(t), m.Start.Add(time.Hour))
	job.Config.BackupDir, job.Config.BackupMaxAge, job.Config.Remotes = dir, 26*time.Hour, []jobs.RemoteSpec{msk}
	r := job.Run(context.Background())
	for _, f := range r.Findings {
		if strings.Contains(f.Text, "remote") {
			t.Errorf("finding about a healthy remote: %s", f.Text)
		}
	}
	if rs := r.Remotes[0]; !rs.Listed || rs.Stale || rs.Copies != 1 || rs.Where != "s3://pgkeeper" {
		t.Errorf("msk: %+v", rs)
	}
	// The daily summary counts the copies per remote from the same listing.
	sum := (&jobs.Summary{Status: job, BackupDir: dir, Now: job.Now}).Run(context.Background())
	if len(sum.Remotes) != 1 || sum.Remotes[0].Copies != 1 || !sum.Remotes[0].Listed {
		t.Fatalf("summary's remotes: %+v", sum.Remotes)
	}
	if text := render.Summary(sum, render.Plain); !strings.Contains(text, "msk: 1 copy, newest 1 h 0 min old") {
		t.Errorf("the summary does not count msk's copies:\n%s", text)
	}
}
