package jobs_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/s3test"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// A copy changed on the remote after its upload (one bit, same size) is
// found by `backups --remote --verify`, with or without the key, and a
// restore of it fails on the sha256 with nothing left that looks restored.
func TestRemoteCopyChangedAfterUpload(t *testing.T) {
	url, dir, m := backedUp(t, pgtest.Seed{Companies: 2, Keys: 3000, Days: 60})
	srv := s3test.Start(t)
	keyFile, to := newIdentity(t, 0o600)
	tests := []struct {
		name      string
		encrypted bool
	}{
		{"plain copy", false},
		{"encrypted copy", true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := remoteOn(srv, "msk", "changed"+string(rune('a'+i)))
			var c jobs.RemoteCopy
			if tt.encrypted {
				c = uploadCopy(t, spec, dir, m, to)
			} else {
				c = uploadCopy(t, spec, dir, m)
			}
			cat := jobs.Catalog{Dir: dir, DB: openDB(t, url)}
			before, err := cat.OnRemote(context.Background(), spec, true)
			if err != nil || before.Failed() != 0 || len(before.Checks) != 1 || before.Checks[0].Verdict != jobs.CopyOK {
				t.Fatalf("before the change: %v\n%+v", err, before)
			}
			if before.Checks[0].Bytes < c.Size {
				t.Errorf("verified %d bytes of a %d-byte copy", before.Checks[0].Bytes, c.Size)
			}
			if c.GlobalsKey != "" {
				t.Logf("roles object %s, %d bytes", c.GlobalsKey, c.GlobalsSize)
			}
			tamper(t, spec, c.Key)

			after, err := cat.OnRemote(context.Background(), spec, true)
			if err != nil || after.Failed() != 1 {
				t.Fatalf("after the change: %v\n%+v", err, after)
			}
			if ch := after.Checks[0]; ch.Verdict != jobs.CopyChanged || !strings.Contains(ch.Detail, "sha256") ||
				!strings.Contains(ch.Detail, c.SHA256) {
				t.Errorf("check: %+v", ch)
			}
			if listed, err := cat.OnRemote(context.Background(), spec, false); err != nil || len(listed.Checks) != 0 ||
				len(listed.Listing.Backups) != 1 {
				t.Errorf("listing alone (same size: it cannot tell): %v %+v", err, listed)
			}

			job := restoreJob(t, url, dir, pgtest.BinDir(t))
			job.Config.Remotes = []jobs.RemoteSpec{spec}
			into := dbNameOf(url) + "_changed" + string(rune('a'+i))
			runs := []jobs.RestoreOptions{
				{From: "msk", Identity: keyFile, Trigger: "test"},
				{From: "msk", Identity: keyFile, Into: into, Trigger: "test"},
			}
			if tt.encrypted { // and the check of the ciphertext alone
				runs = append(runs, jobs.RestoreOptions{From: "msk", Trigger: "test"})
			}
			for _, opts := range runs {
				if !tt.encrypted {
					opts.Identity = ""
				}
				r, err := job.Run(context.Background(), opts, nil)
				if !errors.Is(err, jobs.ErrRemoteChanged) || r.OK() || !strings.Contains(r.Error, c.SHA256) {
					t.Errorf("into %q: want the sha256 mismatch, got %v\n%+v", opts.Into, err, r)
				}
				if r.Kept || (r.Scratch != "" && !r.Dropped) {
					t.Errorf("into %q: something restored was left: %+v", opts.Into, r)
				}
				t.Logf("into %q: failed at %s: %s", opts.Into, r.FailedAt, r.Error)
			}
			if dbExists(t, into) {
				t.Errorf("%s is left after a failed recovery", into)
			}
			if left := scratchLeft(t, url); len(left) > 0 {
				t.Errorf("scratch databases left: %v", left)
			}
		})
	}
}

// `pgkeeper backups --remote` and `restore --from` when the server and its
// disk are gone: BACKUP_DIR removed, the live database down. The copies of
// the database's name are listed and verified, and the recovery restores
// the newest into a new database on another server, verified and kept.
func TestRestoreIntoFromRemoteWithBackupDirGone(t *testing.T) {
	live, dir, m := backedUp(t, pgtest.Seed{Companies: 2, Keys: 3000, Days: 60})
	srv := s3test.Start(t)
	keyFile, to := newIdentity(t, 0o600)
	spec := remoteOn(srv, "msk", "dr")
	c := uploadCopy(t, spec, dir, m, to)
	gone := filepath.Join(t.TempDir(), "backups")
	if err := os.Rename(dir, gone); err != nil {
		t.Fatal(err)
	}
	gate := pgtest.NewGate(t, live) // never opened: the live database is down
	cat := jobs.Catalog{Dir: dir, DB: openDB(t, gate.URL())}
	l, err := cat.OnRemote(context.Background(), spec, true)
	if err != nil || len(l.Listing.Backups) != 1 || l.Failed() != 0 || l.Origin.SystemID != "" ||
		l.Origin.Database != m.Database || !strings.HasPrefix(l.Where, "s3://") {
		t.Fatalf("listing with the server gone: %v\n%+v", err, l)
	}

	into := dbNameOf(live) + "_dr"
	t.Cleanup(func() { adminServer(t).DropDatabase(context.Background(), into) })
	job := restoreJob(t, gate.URL(), dir, pgtest.BinDir(t))
	job.Config.RestoreDatabaseURL = pgtest.AdminURL(t)
	job.Config.Remotes = []jobs.RemoteSpec{spec}
	opts := jobs.RestoreOptions{From: "msk", Identity: keyFile, Into: into, Trigger: "test"}
	if p, err := job.PreviewRun(context.Background(), opts); err != nil || p.From != "msk" || p.Backup.Name != m.Name {
		t.Fatalf("preview: %v %+v", err, p)
	}
	r, err := job.Run(context.Background(), opts, nil)
	if err != nil || !r.OK() || !r.Kept || r.Rows != m.TotalRows() || r.Fingerprinted != 1 || r.Recorded {
		t.Fatalf("recovery from msk: %v\n%+v", err, r)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("BACKUP_DIR came back: %v", err)
	}
	for _, table := range []string{"whatsapp_auth", "whatsapp_keys"} {
		q := strings.Replace(contentSum, "%s", table, 1)
		if pgtest.QueryInt(t, live, q) != pgtest.QueryInt(t, withDB(live, into), q) {
			t.Errorf("%s restored with other content than the live one", table)
		}
	}
	t.Logf("restored %s (%d bytes of ciphertext) into %s", c.Key, c.Size, into)
}

// failingGets fails every GET of a key with suffix, as a cut connection.
type failingGets struct {
	suffix string
	next   http.RoundTripper
}

func (f failingGets) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, f.suffix) {
		return nil, syscall.ECONNRESET
	}
	return f.next.RoundTrip(r)
}

// Each copy's verdict: ok, changed (the roles object too, or an object
// gone since the listing), unreadable; the listing alone reads no dump.
func TestVerifyRemoteCopies(t *testing.T) {
	url, dir, m := backedUp(t, pgtest.Seed{Companies: 1, Keys: 500, Days: 30})
	srv := s3test.Start(t)
	_, to := newIdentity(t, 0o600)
	tests := []struct {
		name        string
		encrypted   bool
		change      func(t *testing.T, spec *jobs.RemoteSpec, c jobs.RemoteCopy)
		wantVerdict jobs.CopyVerdict
		wantDetail  string
	}{
		{"plain, as uploaded", false, nil, jobs.CopyOK, ""},
		{"encrypted, as uploaded, no key needed", true, nil, jobs.CopyOK, ""},
		{"roles object changed", true, func(t *testing.T, spec *jobs.RemoteSpec, c jobs.RemoteCopy) {
			tamper(t, *spec, c.GlobalsKey)
		}, jobs.CopyChanged, ".globals.sql.zst.age: sha256"},
		{"dump unreadable", false, func(t *testing.T, spec *jobs.RemoteSpec, c jobs.RemoteCopy) {
			spec.Config.HTTPClient = &http.Client{Transport: failingGets{".dump.zst", srv.Client.Transport}}
		}, jobs.CopyUnreadable, "dump.zst"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := remoteOn(srv, "msk", "verify"+string(rune('a'+i)))
			var c jobs.RemoteCopy
			if tt.encrypted {
				c = uploadCopy(t, spec, dir, m, to)
			} else {
				c = uploadCopy(t, spec, dir, m)
			}
			if c.GlobalsKey == "" || c.GlobalsSHA256 == "" {
				t.Fatalf("no roles object: %+v", c)
			}
			if tt.change != nil {
				tt.change(t, &spec, c)
			}
			gets := srv.Requests(http.MethodGet)
			r, err := jobs.Catalog{Dir: dir, DB: openDB(t, url)}.OnRemote(context.Background(), spec, true)
			if err != nil || len(r.Checks) != 1 {
				t.Fatalf("verify: %v\n%+v", err, r)
			}
			ch := r.Checks[0]
			if ch.Verdict != tt.wantVerdict || !strings.Contains(ch.Detail, tt.wantDetail) || ch.Backup != m.Name ||
				(tt.wantVerdict == jobs.CopyOK) != (r.Failed() == 0) {
				t.Errorf("check: %+v", ch)
			}
			if tt.wantVerdict == jobs.CopyOK && ch.Bytes != c.Size+c.GlobalsSize {
				t.Errorf("read %d bytes, the copy is %d", ch.Bytes, c.Size+c.GlobalsSize)
			}
			if strings.Contains(ch.Detail, s3test.SecretAccessKey) {
				t.Errorf("the secret key in %q", ch.Detail)
			}
			t.Logf("%s: %s (%d GETs)", ch.Verdict, ch.Detail, srv.Requests(http.MethodGet)-gets)
		})
	}
}
