package jobs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/s3test"
	"github.com/pgkeeper/pgkeeper/store"
)

// The README's recovery by hand, piece by piece, on a copy the way it lies
// in the bucket: the manifest's fields the README names (remotes[0].key,
// .sha256, .encrypted; sha256; tables), the object's sha256 as
// downloaded, `age -d -i key.txt`, the plaintext's sha256, `zstd -d`, and
// `pg_restore` from stdin into a new database with the manifest's row
// counts. The age and zstd CLIs are used when installed; otherwise their
// libraries (filippo.io/age is what the age CLI is built on) stand in, and
// the test says so: it never skips.
func TestByHandRecoveryPipeline(t *testing.T) {
	url, dir, m := backedUp(t, pgtest.Seed{Companies: 2, Keys: 2000, Days: 60})
	srv := s3test.Start(t)
	keyFile, to := newIdentity(t, 0o600)
	spec := remoteOn(srv, "msk", "byhand")
	uploadCopy(t, spec, dir, m, to)
	b := bucketOf(t, spec)
	get := func(key string) []byte {
		body, err := b.Get(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		defer body.Close()
		data, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	sum := func(p []byte) string { s := sha256.Sum256(p); return hex.EncodeToString(s[:]) }

	// aws s3 cp s3://…/NAME.manifest.json - | jq '.remotes[0]'
	var manifest struct {
		SHA256  string `json:"sha256"`
		Remotes []struct {
			Key       string `json:"key"`
			Size      int64  `json:"size"`
			SHA256    string `json:"sha256"`
			Encrypted bool   `json:"encrypted"`
		} `json:"remotes"`
		Tables []struct {
			Table string `json:"table"`
			Rows  int64  `json:"rows"`
		} `json:"tables"`
	}
	if err := json.Unmarshal(get(m.Name+".manifest.json"), &manifest); err != nil {
		t.Fatal(err)
	}
	if len(manifest.Remotes) != 1 || manifest.Remotes[0].Key != m.DumpFile()+".age" || !manifest.Remotes[0].Encrypted ||
		manifest.SHA256 != m.SHA256 || len(manifest.Tables) != 2 {
		t.Fatalf("the manifest's fields are not where the README says: %+v", manifest)
	}
	rc := manifest.Remotes[0]

	// aws s3 cp s3://…/NAME.dump.zst.age - | sha256sum
	object := get(rc.Key)
	if int64(len(object)) != rc.Size || sum(object) != rc.SHA256 {
		t.Fatalf("object: %d bytes, sha256 %s; manifest: %d, %s", len(object), sum(object), rc.Size, rc.SHA256)
	}

	// | age -d -i key.txt
	plain := pipe(t, "age", object, []string{"-d", "-i", keyFile}, func(r io.Reader) (io.Reader, error) {
		f, err := os.Open(keyFile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		ids, err := age.ParseIdentities(f)
		if err != nil {
			return nil, err
		}
		return age.Decrypt(r, ids...)
	})
	if sum(plain) != manifest.SHA256 {
		t.Fatalf("decrypted dump's sha256 %s, the manifest's %s", sum(plain), manifest.SHA256)
	}

	// | zstd -d
	dump := pipe(t, "zstd", plain, []string{"-d", "-c"}, func(r io.Reader) (io.Reader, error) {
		dec, err := zstd.NewReader(r)
		if err != nil {
			return nil, err
		}
		return dec.IOReadCloser(), nil
	})

	// createdb -T template0 NEW; … | pg_restore --no-owner --no-privileges --exit-on-error -d NEW
	into := dbNameOf(url) + "_byhand"
	srvAdmin := adminServer(t)
	t.Cleanup(func() { srvAdmin.DropDatabase(context.Background(), into) })
	if err := srvAdmin.CreateDatabase(context.Background(), into, store.Locale{}); err != nil {
		t.Fatal(err)
	}
	env, err := store.ClientEnv(url, into)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(pgtest.BinDir(t), "pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "-w", "--dbname="+into)
	cmd.Env, cmd.Stdin = env, bytes.NewReader(dump)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v: %s", err, out)
	}
	for _, tc := range manifest.Tables {
		if n := pgtest.QueryInt(t, withDB(url, into), "SELECT count(*) FROM "+tc.Table); n != tc.Rows {
			t.Errorf("%s: %d rows restored, the manifest says %d", tc.Table, n, tc.Rows)
		}
	}
}

// pipe runs in through the named CLI with args when it is installed, and
// through lib (the library the CLI stands for) when it is not.
func pipe(t *testing.T, cli string, in []byte, args []string, lib func(io.Reader) (io.Reader, error)) []byte {
	t.Helper()
	if path, err := exec.LookPath(cli); err == nil {
		cmd := exec.Command(path, args...)
		cmd.Stdin = bytes.NewReader(in)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %v: %v: %s", cli, args, err, stderr.String())
		}
		t.Logf("%s: the CLI (%s)", cli, path)
		return out
	}
	t.Logf("%s: not installed; its library stands in for the CLI", cli)
	r, err := lib(bytes.NewReader(in))
	if err != nil {
		t.Fatalf("%s: %v", cli, err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", cli, err)
	}
	return out
}
