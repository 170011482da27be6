package jobs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/pgkeeper/pgkeeper/internal/backoff"
	"github.com/pgkeeper/pgkeeper/internal/seal"
	"github.com/pgkeeper/pgkeeper/internal/testkit/s3test"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/remote"
)

// remoteOn is a remote called name on srv under prefix.
func remoteOn(srv *s3test.Server, name, prefix string) jobs.RemoteSpec {
	return jobs.RemoteSpec{Name: name, Config: remote.Config{
		Name: name, Bucket: s3test.Bucket, Prefix: prefix, Endpoint: srv.URL, Region: s3test.Region,
		AccessKeyID: s3test.AccessKeyID, SecretAccessKey: s3test.SecretAccessKey,
		Backoff: backoff.Backoff{Min: time.Millisecond, Max: 4 * time.Millisecond}, HTTPClient: srv.Client,
	}}
}

// newIdentity makes an age key pair; the identity file is written with mode.
func newIdentity(t *testing.T, mode os.FileMode) (path string, to age.Recipient) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(path, []byte("# test key\n"+id.String()+"\n"), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
	return path, id.Recipient()
}

// uploadCopy puts a local backup on spec's remote as the backup's upload
// does (jobs/offsite.go): the dump and the roles, age-encrypted to to when
// given, then the manifest last with Remotes = exactly this copy. It stands
// in for the upload until that lands, with the same layout and records.
func uploadCopy(t *testing.T, spec jobs.RemoteSpec, dir string, m jobs.Manifest, to ...age.Recipient) jobs.RemoteCopy {
	t.Helper()
	ctx := context.Background()
	b := bucketOf(t, spec)
	put := func(file string) (string, remote.Sent) {
		f, err := os.Open(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		key, r := file, io.Reader(f)
		if len(to) > 0 {
			pr, pw := io.Pipe()
			defer pr.Close()
			go func() {
				w, err := seal.Encrypt(pw, to)
				if err == nil {
					if _, err = io.Copy(w, f); err == nil {
						err = w.Close()
					}
				}
				pw.CloseWithError(err)
			}()
			key, r = file+".age", pr
		}
		sent, err := b.Put(ctx, key, r)
		if err != nil {
			t.Fatalf("upload %s: %v", key, err)
		}
		return key, sent
	}
	c := jobs.RemoteCopy{Remote: spec.Name, Encrypted: len(to) > 0, Verified: true, VerifiedBy: "read back",
		At: time.Now().UTC()}
	var sent remote.Sent
	c.Key, sent = put(m.DumpFile())
	c.Size, c.SHA256 = sent.Size, sent.SHA256
	if m.Globals != "" {
		c.GlobalsKey, sent = put(m.Globals)
		c.GlobalsSize, c.GlobalsSHA256 = sent.Size, sent.SHA256
	}
	rm := m
	rm.Remotes = []jobs.RemoteCopy{c}
	data, err := json.MarshalIndent(rm, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(ctx, m.Name+".manifest.json", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	return c
}

// tamper changes one bit in the middle of an object on the remote, keeping
// its size: what a bad disk or a hand in the bucket would do.
func tamper(t *testing.T, spec jobs.RemoteSpec, key string) {
	t.Helper()
	tamperAt(t, spec, key, -1)
}

// tamperAt changes one bit of byte i of an object (-1: the middle one).
func tamperAt(t *testing.T, spec jobs.RemoteSpec, key string, i int) {
	t.Helper()
	b := bucketOf(t, spec)
	body, err := b.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(body)
	body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if i < 0 {
		i = len(data) / 2
	}
	data[i] ^= 0x01
	if _, err := b.Put(context.Background(), key, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
}
