package jobs_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/pgkeeper/pgkeeper/internal/seal"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/s3test"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/remote"
)

var remoteKeep = jobs.Retention{KeepDaily: 14, KeepMonthly: 12}

// A remote that fails leaves the local backup verified and kept and the
// other remote copied; the report says what failed and how to fix it, with
// no secret in it; the next run fills the gap.
func TestBackupRemoteFailsOthersGoOn(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 2, Keys: 2000, Days: 30})
	const wrongSecret = "wrong-secret-must-not-leak-7f3a"
	tests := []struct {
		name    string
		breakIt func(*s3test.Server) func(*remote.Config)
		want    []string // in the outcome's error
	}{
		{"unreachable", func(*s3test.Server) func(*remote.Config) {
			return func(c *remote.Config) { c.Endpoint = "https://127.0.0.1:1" }
		}, []string{"connection refused", "unreachable"}},
		{"wrong credentials", func(*s3test.Server) func(*remote.Config) {
			return func(c *remote.Config) { c.SecretAccessKey = wrongSecret }
		}, []string{"wrong credentials", "secret key"}},
		{"missing bucket", func(*s3test.Server) func(*remote.Config) {
			return func(c *remote.Config) { c.Bucket = "no-such-bucket" }
		}, []string{"missing bucket", "create the bucket"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			good, bad := s3test.Start(t), s3test.Start(t)
			msk := remoteSpec(good, "msk", "p", remoteKeep)
			spb := remoteSpec(bad, "spb", "p", remoteKeep, tt.breakIt(bad))
			r1, err := offsiteJob(t, url, dir, msk, spb).Run(context.Background(), jobs.BackupOptions{}, nil)
			if err != nil || !r1.OK() {
				t.Fatalf("the local backup failed with a remote: %v %+v", err, r1)
			}
			if len(r1.Remotes) != 2 || !r1.Remotes[0].OK() || r1.Remotes[1].OK() || !r1.RemoteFailed() {
				t.Fatalf("outcomes %+v, want msk copied and spb failed", r1.Remotes)
			}
			o := r1.Remotes[1]
			t.Logf("spb: %s", o.Error)
			for _, w := range tt.want {
				if !strings.Contains(o.Error, w) {
					t.Errorf("spb's error %q does not say %q", o.Error, w)
				}
			}
			if strings.Contains(o.Error, "\n") || o.Missing != 1 || o.Copy == nil || o.Copy.Verified || o.Copy.Error == "" {
				t.Errorf("spb's outcome %+v, copy %+v: want one line, one missing, a failed copy", o, o.Copy)
			}
			if all := fmt.Sprintf("%+v %+v", r1, localManifest(t, dir, r1.Manifest.Name)); strings.Contains(all, wrongSecret) ||
				strings.Contains(all, s3test.SecretAccessKey) {
				t.Fatal("a secret key is in the report or the manifest")
			}
			if got := names(listed(t, url, dir)); !slices.Equal(got, []string{r1.Manifest.Name}) {
				t.Fatalf("local backups %v, want the one just made", got)
			}
			lm := localManifest(t, dir, r1.Manifest.Name)
			if c, _ := lm.CopyOn("msk"); !c.Verified {
				t.Errorf("msk's copy not recorded: %+v", lm.Remotes)
			}
			if c, ok := lm.CopyOn("spb"); !ok || c.Verified || c.Error == "" {
				t.Errorf("spb's failure not recorded: %+v", lm.Remotes)
			}
			if names := lm.Remotes; len(names) != 2 || names[0].Remote != "msk" {
				t.Errorf("records not in configuration order: %+v", lm.Remotes)
			}

			// Fixed, the next run copies its own backup and the one missed.
			spb = remoteSpec(bad, "spb", "p", remoteKeep)
			r2, err := offsiteJob(t, url, dir, msk, spb).Run(context.Background(), jobs.BackupOptions{}, nil)
			if err != nil || r2.RemoteFailed() {
				t.Fatalf("second run: %v %+v", err, r2.Remotes)
			}
			if o := r2.Remotes[1]; !slices.Equal(o.Filled, []string{r1.Manifest.Name}) || o.Missing != 0 {
				t.Errorf("spb filled %v, missing %d; want %s filled", o.Filled, o.Missing, r1.Manifest.Name)
			}
			if o := r2.Remotes[0]; len(o.Filled) != 0 || o.Missing != 0 {
				t.Errorf("msk filled %v, missing %d; want nothing", o.Filled, o.Missing)
			}
			want := []string{r2.Manifest.Name, r1.Manifest.Name}
			for _, spec := range []jobs.RemoteSpec{msk, spb} {
				if got := names(remoteListing(t, spec, r2.Manifest).Backups); !slices.Equal(got, want) {
					t.Errorf("%s holds %v, want %v", spec.Name, got, want)
				}
			}
			if c, _ := localManifest(t, dir, r1.Manifest.Name).CopyOn("spb"); !c.Verified || c.Error != "" {
				t.Errorf("the filled copy is not recorded here: %+v", c)
			}
		})
	}
}

// An upload cut midway (the store failing every retry of a part) or
// cancelled (SIGTERM) leaves no object and no pending multipart upload
// there, and the local backup verified; the next run fills the gap.
func TestBackupUploadCutMidway(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 2, Keys: 40000, Days: 60})
	defer jobs.SetUploadProgressEvery(0)()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	failParts := func(srv *s3test.Server, _ func()) {
		srv.FailNext(remote.DefaultAttempts, http.StatusInternalServerError, "InternalError")
	}
	tests := []struct {
		name    string
		cut     func(srv *s3test.Server, cancel func())
		want    string
		encrypt bool
	}{
		{"connection cut", failParts, "InternalError", false},
		{"connection cut, encrypted", failParts, "InternalError", true},
		{"cancelled", func(_ *s3test.Server, cancel func()) { cancel() }, "cancelled", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			srv := s3test.Start(t)
			spec := remoteSpec(srv, "msk", "p", remoteKeep)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cut := false
			job := func() *jobs.Backup {
				j := offsiteJob(t, url, dir, spec)
				if tt.encrypt {
					j.Config.Recipients = []string{id.Recipient().String()}
				}
				return j
			}
			r1, err := job().Run(ctx, jobs.BackupOptions{}, func(p jobs.BackupProgress) {
				// After the first part is read and sent, before the second goes.
				if p.Step == "uploading to msk" && p.Sent > remote.MinPartSize && !cut {
					cut = true
					tt.cut(srv, cancel)
				}
			})
			if err != nil || !r1.OK() {
				t.Fatalf("the local backup failed: %v %+v", err, r1)
			}
			if !cut {
				t.Fatalf("the dump (%d bytes) fits in one part: nothing to cut", r1.Manifest.CompressedBytes)
			}
			if o := r1.Remotes[0]; o.OK() || !strings.Contains(o.Error, tt.want) {
				t.Fatalf("outcome %+v, want a failure saying %q", o, tt.want)
			}
			b := bucketOf(t, spec)
			if keys := keysIn(t, b); len(keys) != 0 {
				t.Errorf("left there: %v", keys)
			}
			noPendingUploads(t, b)
			if got := names(listed(t, url, dir)); !slices.Equal(got, []string{r1.Manifest.Name}) {
				t.Fatalf("local backups %v, want the one just made", got)
			}

			r2, err := job().Run(context.Background(), jobs.BackupOptions{}, nil)
			if err != nil || r2.RemoteFailed() || !slices.Equal(r2.Remotes[0].Filled, []string{r1.Manifest.Name}) {
				t.Fatalf("next run: %v %+v", err, r2.Remotes)
			}
			l := remoteListing(t, spec, r1.Manifest)
			if got := names(l.Backups); !slices.Equal(got, []string{r2.Manifest.Name, r1.Manifest.Name}) {
				t.Errorf("remote holds %v", got)
			}
			// The filled copy (read from the file) and this run's (streamed
			// while it was dumped) are the local dumps.
			for _, m := range []jobs.Manifest{r1.Manifest, r2.Manifest} {
				c, _ := localManifest(t, dir, m.Name).CopyOn("msk")
				if got := objectSHA(t, b, c.Key); got != c.SHA256 || c.Encrypted != tt.encrypt {
					t.Errorf("%s: object sha256 %s, recorded %+v", c.Key, got, c)
				}
				if got := plainSHA(t, b, c.Key, id, tt.encrypt); got != m.SHA256 {
					t.Errorf("%s: holds a dump of sha256 %s, the local one %s", c.Key, got, m.SHA256)
				}
			}
		})
	}
}

// A local dump damaged since it was verified is not copied: its upload is
// aborted at the end, when its sha256 differs, and nothing of it is left.
func TestDamagedDumpIsNotCopied(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 2, Keys: 2000, Days: 30})
	dir := t.TempDir()
	srv := s3test.Start(t)
	down := remoteSpec(srv, "msk", "p", remoteKeep, func(c *remote.Config) { c.Endpoint = "https://127.0.0.1:1" })
	r1, err := offsiteJob(t, url, dir, down).Run(context.Background(), jobs.BackupOptions{}, nil)
	if err != nil || !r1.RemoteFailed() {
		t.Fatalf("first run: %v %+v", err, r1.Remotes)
	}
	path := filepath.Join(dir, r1.Manifest.DumpFile())
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	spec := remoteSpec(srv, "msk", "p", remoteKeep)
	r2, err := offsiteJob(t, url, dir, spec).Run(context.Background(), jobs.BackupOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	o := r2.Remotes[0]
	if !o.OK() || len(o.Filled) != 0 || o.Missing != 1 || !strings.Contains(o.Note, "changed since it was verified") {
		t.Fatalf("outcome %+v, want this run's copy made, the damaged one refused and missing", o)
	}
	b := bucketOf(t, spec)
	for _, k := range keysIn(t, b) {
		if strings.HasPrefix(k, r1.Manifest.Name) {
			t.Errorf("%s of the damaged backup is there", k)
		}
	}
	noPendingUploads(t, b)
}

// The dump streams to the remotes while pg_dump writes it; a backup that
// then fails (here pg_dump exits 1 after writing all of it) aborts those
// uploads: nothing is left there, no multipart upload is pending.
func TestFailedBackupLeavesNothingThere(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 2, Keys: 40000, Days: 60})
	real := filepath.Join(pgtest.BinDir(t), "pg_dump")
	failing := `if [ "$1" = --version ]; then exec "` + real + `" --version; fi
"` + real + `" "$@"
exit 1
`
	dir := t.TempDir()
	srv := s3test.Start(t)
	spec := remoteSpec(srv, "msk", "p", remoteKeep)
	job := offsiteJob(t, url, dir, spec)
	job.Config.PGBinDir = pgtest.ToolsDir(t, map[string]string{"pg_dump": failing})
	r, err := job.Run(context.Background(), jobs.BackupOptions{}, nil)
	if err == nil || r.FailedAt != "pg_dump" {
		t.Fatalf("want a failure at pg_dump, got %q: %v", r.FailedAt, err)
	}
	if len(r.Remotes) != 0 {
		t.Errorf("a failed backup reports remotes: %+v", r.Remotes)
	}
	if srv.Requests(http.MethodPut) == 0 {
		t.Errorf("no part was sent while pg_dump wrote %d bytes: the upload did not overlap the dump", r.Manifest.RawBytes)
	}
	b := bucketOf(t, spec)
	if keys := keysIn(t, b); len(keys) != 0 {
		t.Errorf("left there: %v", keys)
	}
	noPendingUploads(t, b)
}

// A store whose clock is far from ours refuses the first request, naming
// both clocks; the SDK then signs with the store's time, so the copy is
// made, and the skew stays in the note for someone to set the clock right.
func TestRemoteClockSkewIsNoted(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 2, Keys: 1000, Days: 30})
	srv := s3test.Start(t)
	srv.SetClock(40 * time.Minute)
	spec := remoteSpec(srv, "msk", "p", remoteKeep)
	r, err := offsiteJob(t, url, t.TempDir(), spec).Run(context.Background(), jobs.BackupOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	o := r.Remotes[0]
	for _, w := range []string{"clock skew", "this machine's clock is", "the store's", "40m0s apart", "NTP"} {
		if !strings.Contains(o.Note+o.Error, w) {
			t.Errorf("outcome %q / %q does not say %q", o.Error, o.Note, w)
		}
	}
}

// After a long outage a run copies at most three older backups, newest
// first, and counts the rest as missing; the next run copies those.
func TestFillIsBounded(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 2, Keys: 500, Days: 30})
	dir := t.TempDir()
	srv := s3test.Start(t)
	down := remoteSpec(srv, "msk", "p", remoteKeep, func(c *remote.Config) { c.Endpoint = "https://127.0.0.1:1" })
	up := remoteSpec(srv, "msk", "p", remoteKeep)
	var missed []string
	for day := range 5 {
		r := backupOnDay(t, url, dir, day, nil, down)
		if !r.RemoteFailed() || r.Remotes[0].Missing != day+1 {
			t.Fatalf("day %d: outcome %+v, want a failure and %d missing", day, r.Remotes[0], day+1)
		}
		missed = append([]string{r.Manifest.Name}, missed...)
	}
	r := backupOnDay(t, url, dir, 5, nil, up)
	if o := r.Remotes[0]; !o.OK() || !slices.Equal(o.Filled, missed[:3]) || o.Missing != 2 {
		t.Fatalf("outcome filled %v, missing %d (%s); want %v and 2", o.Filled, o.Missing, o.Error, missed[:3])
	}
	r = backupOnDay(t, url, dir, 6, nil, up)
	if o := r.Remotes[0]; !o.OK() || !slices.Equal(o.Filled, missed[3:]) || o.Missing != 0 {
		t.Fatalf("outcome filled %v, missing %d; want %v and 0", o.Filled, o.Missing, missed[3:])
	}
	if got := remoteListing(t, up, r.Manifest).Backups; len(got) != 7 {
		t.Errorf("remote holds %v, want all seven", names(got))
	}
}

// plainSHA is the sha256 of key's dump, decrypted with id when encrypted.
func plainSHA(t *testing.T, b *remote.Bucket, key string, id *age.X25519Identity, encrypted bool) string {
	t.Helper()
	rc, err := b.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if !encrypted {
		return shaOf(t, rc)
	}
	plain, err := seal.Decrypt(rc, []age.Identity{id})
	if err != nil {
		t.Fatal(err)
	}
	return shaOf(t, plain)
}
