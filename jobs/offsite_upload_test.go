package jobs_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"

	"github.com/pgkeeper/pgkeeper/internal/seal"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/s3test"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// A verified backup is copied to the remote, plain or encrypted, checked
// there, and recorded in both manifests; what comes back is what went in.
func TestBackupCopiedToRemote(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 2, Keys: 3000, Days: 30})
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		recipients []string
	}{
		{"plain", nil},
		{"encrypted", []string{id.Recipient().String()}},
	}
	srv := s3test.Start(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			spec := remoteSpec(srv, "msk", "pgkeeper/"+tt.name, jobs.Retention{KeepDaily: 14, KeepMonthly: 12})
			job := offsiteJob(t, url, dir, spec)
			job.Config.Recipients = tt.recipients
			var mu sync.Mutex
			var sawUpload bool
			r, err := job.Run(context.Background(), jobs.BackupOptions{}, func(p jobs.BackupProgress) {
				mu.Lock()
				defer mu.Unlock()
				if p.Step == "uploading to msk" && p.Remote == "msk" && p.Size > 0 {
					sawUpload = true
				}
			})
			if err != nil || !r.OK() {
				t.Fatalf("backup: %v %+v", err, r)
			}
			if len(r.Remotes) != 1 || !r.Remotes[0].OK() || r.RemoteFailed() {
				t.Fatalf("remotes: %+v", r.Remotes)
			}
			if !sawUpload {
				t.Error("no progress while uploading")
			}
			m, o := r.Manifest, r.Remotes[0]
			c := o.Copy
			enc := len(tt.recipients) > 0
			wantKey := m.DumpFile()
			if enc {
				wantKey += ".age"
			}
			if c == nil || !c.Verified || c.VerifiedBy != "read back" || c.Key != wantKey || c.Encrypted != enc || c.Remote != "msk" {
				t.Fatalf("copy %+v, want a verified copy under %s", c, wantKey)
			}
			if o.Note != "" || o.Aborted != 0 || len(o.Filled) != 0 || o.Missing != 0 || len(o.Deleted) != 0 {
				t.Errorf("outcome %+v, want only the copy", o)
			}
			if o.Bytes < c.Size || o.Duration <= 0 {
				t.Errorf("outcome bytes %d duration %v", o.Bytes, o.Duration)
			}
			b := bucketOf(t, spec)
			// The object is what the copy records; in the clear it is the
			// local dump itself, encrypted it opens to the local dump.
			if got := objectSHA(t, b, c.Key); got != c.SHA256 {
				t.Fatalf("object sha256 %s, copy records %s", got, c.SHA256)
			}
			if enc == (c.SHA256 == m.SHA256) {
				t.Errorf("copy sha256 %s, local dump %s: encrypted %v", c.SHA256, m.SHA256, enc)
			}
			if enc {
				rc, err := b.Get(context.Background(), c.Key)
				if err != nil {
					t.Fatal(err)
				}
				plain, err := seal.Decrypt(rc, []age.Identity{id})
				if err != nil {
					t.Fatal(err)
				}
				if got := shaOf(t, plain); got != m.SHA256 {
					t.Errorf("decrypted sha256 %s, local dump %s", got, m.SHA256)
				}
				rc.Close()
			}
			if m.Globals != "" {
				if c.GlobalsKey == "" {
					t.Fatal("roles were saved here but not copied")
				}
				got := objectSHA(t, b, c.GlobalsKey)
				if local := fileSHA(t, filepath.Join(dir, m.Globals)); (got == local) == enc {
					t.Errorf("roles object sha256 %s, local file %s, encrypted %v", got, local, enc)
				}
				if c.GlobalsSHA256 != got {
					t.Errorf("roles recorded with sha256 %q, the object's is %s", c.GlobalsSHA256, got)
				}
			}
			// Both manifests record the copy: the remote one exactly its own.
			rm := remoteManifest(t, b, m.Name)
			if len(rm.Remotes) != 1 || rm.Remotes[0].SHA256 != c.SHA256 || rm.Remotes[0].Key != c.Key || rm.SHA256 != m.SHA256 {
				t.Errorf("remote manifest records %+v, want %+v", rm.Remotes, c)
			}
			lm := localManifest(t, dir, m.Name)
			if lc, ok := lm.CopyOn("msk"); !ok || !lc.Verified || lc.SHA256 != c.SHA256 || len(lm.Remotes) != 1 {
				t.Errorf("local manifest records %+v", lm.Remotes)
			}
			if len(r.Manifest.Remotes) != 1 || r.Manifest.Remotes[0].SHA256 != c.SHA256 {
				t.Errorf("report manifest records %+v", r.Manifest.Remotes)
			}
			l := remoteListing(t, spec, m)
			if !slices.Equal(names(l.Backups), []string{m.Name}) || len(l.Broken) != 0 {
				t.Errorf("remote listing %v, broken %+v", names(l.Backups), l.Broken)
			}
			for _, k := range keysIn(t, b) {
				if !strings.HasPrefix(k, m.Name+".") {
					t.Errorf("unexpected object %s", k)
				}
			}
			noPendingUploads(t, b)
		})
	}
}
