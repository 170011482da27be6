package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	neturl "net/url"
	"os"
	"path/filepath"
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

// The shell commands of a recovery from a remote, configured as an
// operator would (BACKUP_REMOTES, AWS_*, the remote's identity): listing
// and verifying with BACKUP_DIR gone, restore tests with and without the
// key, a recovery into a new database, and a copy changed in the bucket.
func TestRecoveryFromRemoteCommands(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 800, Days: 30})
	srv := s3test.Start(t)
	tmp := t.TempDir()
	ca, dir := filepath.Join(tmp, "ca.pem"), filepath.Join(tmp, "backups")
	if err := os.WriteFile(ca, srv.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	key, loose := filepath.Join(tmp, "key.txt"), filepath.Join(tmp, "loose.txt")
	for path, mode := range map[string]os.FileMode{key: 0o600, loose: 0o644} {
		if err := os.WriteFile(path, []byte(id.String()+"\n"), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(path, mode)
	}
	env := map[string]string{
		"DATABASE_URL": url, "PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": dir,
		"BACKUP_REMOTES": "msk=s3://" + s3test.Bucket + "/e2e", "AWS_ENDPOINT_URL": srv.URL, "AWS_CA_BUNDLE": ca,
		"AWS_REGION": s3test.Region, "AWS_ACCESS_KEY_ID": s3test.AccessKeyID, "AWS_SECRET_ACCESS_KEY": s3test.SecretAccessKey,
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{k: v}
		for a, b := range env {
			if a != k {
				m[a] = b
			}
		}
		return m
	}
	if code, out, errOut := runCLI(t, env, "backup"); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	b, m := putRemoteCopy(t, srv, ca, dir, url, id.Recipient())
	if err := os.RemoveAll(dir); err != nil { // the server's disk is gone
		t.Fatal(err)
	}
	into := dbNameFrom(url) + "_from_msk"
	t.Cleanup(func() {
		pgtest.Exec(t, pgtest.AdminURL(t), `DROP DATABASE IF EXISTS "`+into+`"`)
	})

	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantCode int
		want     []string
	}{
		{"list and verify", env, []string{"backups", "--remote", "msk", "--verify"}, 0,
			[]string{"Backups on msk · 1", m.Name, "encrypted", "verified ✓", "read whole"}},
		{"restore test without the key", env, []string{"restore-test", "--from", "msk"}, 0,
			[]string{"ciphertext checked, NOT restored", "only the ciphertext was checked", "--identity FILE"}},
		{"restore test with the remote's identity", with("BACKUP_REMOTE_MSK_IDENTITY", key), []string{"restore-test", "--from", "msk"}, 0,
			[]string{"Restore test passed · " + m.Name, "streamed from remote msk, decrypted on the way", "dropped: true"}},
		{"identity others may read", env, []string{"restore-test", "--from", "msk", "--identity", loose}, 2, nil},
		{"recovery preview", env, []string{"restore", "--into", into, "--from", "msk", "--identity", key}, 0,
			[]string{"Restore · " + m.Name, "streamed from remote msk", "Nothing was done"}},
		{"recovery", env, []string{"restore", "--into", into, "--from", "msk", "--identity", key, "--yes"}, 0,
			[]string{"Restored and verified · " + m.Name + " → " + into, "streamed from remote msk"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.env, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("missing %q in:\n%s", w, out)
				}
			}
			if strings.Contains(out+errOut, s3test.SecretAccessKey) || strings.Contains(out+errOut, id.String()) {
				t.Errorf("a secret shown:\n%s%s", out, errOut)
			}
		})
	}
	if n := pgtest.QueryInt(t, url, "SELECT count(*) FROM whatsapp_keys"); n !=
		pgtest.QueryInt(t, strings.Replace(url, "/"+dbNameFrom(url)+"?", "/"+into+"?", 1), "SELECT count(*) FROM whatsapp_keys") {
		t.Errorf("the recovered database holds other rows than the live one")
	}

	// One bit changed in the bucket: --verify says so and exits 1.
	body, err := b.Get(context.Background(), m.Remotes[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(body)
	body.Close()
	data[len(data)/2] ^= 1
	if _, err := b.Put(context.Background(), m.Remotes[0].Key, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, env, "backups", "--remote", "msk", "--verify")
	if code != 1 || !strings.Contains(out, "changed: "+m.Remotes[0].Key+": sha256") ||
		!strings.Contains(errOut, "1 copies on msk are not as uploaded") {
		t.Errorf("after a change: exit %d\n%s%s", code, out, errOut)
	}
}

// putRemoteCopy puts dir's one backup on the test bucket under e2e/ as
// the backup's upload does (jobs/offsite.go): dump and roles encrypted to
// to, the manifest last with Remotes = exactly this copy.
func putRemoteCopy(t *testing.T, srv *s3test.Server, ca, dir, url string, to age.Recipient) (*remote.Bucket, jobs.Manifest) {
	t.Helper()
	ctx := context.Background()
	l, err := jobs.ReadListing(dir, jobs.Origin{Database: dbNameFrom(url)})
	if err != nil || len(l.Backups) != 1 {
		t.Fatalf("local backups: %v %+v", err, l)
	}
	m := l.Backups[0]
	b, err := remote.New(ctx, remote.Config{Name: "msk", Bucket: s3test.Bucket, Prefix: "e2e", Endpoint: srv.URL,
		Region: s3test.Region, AccessKeyID: s3test.AccessKeyID, SecretAccessKey: s3test.SecretAccessKey, CABundle: ca})
	if err != nil {
		t.Fatal(err)
	}
	put := func(file string) (string, remote.Sent) {
		f, err := os.Open(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var sealed bytes.Buffer
		w, err := seal.Encrypt(&sealed, []age.Recipient{to})
		if err == nil {
			if _, err = io.Copy(w, f); err == nil {
				err = w.Close()
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		sent, err := b.Put(ctx, file+".age", &sealed)
		if err != nil {
			t.Fatal(err)
		}
		return file + ".age", sent
	}
	c := jobs.RemoteCopy{Remote: "msk", Encrypted: true, Verified: true, VerifiedBy: "read back", At: time.Now().UTC()}
	var sent remote.Sent
	c.Key, sent = put(m.DumpFile())
	c.Size, c.SHA256 = sent.Size, sent.SHA256
	if m.Globals != "" {
		c.GlobalsKey, sent = put(m.Globals)
		c.GlobalsSize, c.GlobalsSHA256 = sent.Size, sent.SHA256
	}
	m.Remotes = []jobs.RemoteCopy{c}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(ctx, m.Name+".manifest.json", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	return b, m
}

// dbNameFrom is the database a postgres:// URL names.
func dbNameFrom(dbURL string) string {
	u, err := neturl.Parse(dbURL)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}
