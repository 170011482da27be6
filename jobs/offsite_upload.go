package jobs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"

	"github.com/pgkeeper/pgkeeper/remote"
)

// cleanupTimeout bounds the removal of a failed copy's objects, which runs
// even when the run was cancelled.
const cleanupTimeout = 30 * time.Second

// verifiedByReadBack is how a copy is checked when the store offers no
// full-object checksum (gofakes3, most S3-compatible stores): its bytes are
// read back, streamed, and hashed.
const verifiedByReadBack = "read back"

// uploader copies local backups to one remote.
type uploader struct {
	b          *remote.Bucket
	name       string // the remote's
	dir        string // BACKUP_DIR
	recipients []age.Recipient
	now        func() time.Time
	// progress is told the local bytes read so far of size in all; step
	// what is done after.
	progress func(sent, size int64)
	step     func(string)
	sent     int64 // bytes sent to the store in this run
}

// putCopy copies backup m there from its local files.
func (u *uploader) putCopy(ctx context.Context, m Manifest) (RemoteCopy, error) {
	return u.putCopyWith(ctx, m, func(key string) (remote.Sent, error) {
		return u.putFile(ctx, key, m.DumpFile(), m.CompressedBytes, m.SHA256)
	})
}

// putCopyWith copies backup m there: the dump (sent by putDump, to the key
// given), the roles when there are any, each checked there, then the remote
// manifest, written last, which makes the objects a backup. A copy that
// fails leaves no object behind (what it had written is deleted again, when
// deletes are allowed) and is returned with its Error set.
func (u *uploader) putCopyWith(ctx context.Context, m Manifest,
	putDump func(key string) (remote.Sent, error)) (RemoteCopy, error) {
	enc := len(u.recipients) > 0
	c := RemoteCopy{Remote: u.name, Key: dumpKey(m, enc), Encrypted: enc, At: u.now()}
	var written []string
	fail := func(err error) (RemoteCopy, error) {
		u.remove(ctx, written)
		c.Verified, c.VerifiedBy, c.Error = false, "", remoteProblem(err)
		return c, err
	}
	sent, err := putDump(c.Key)
	if err != nil {
		return fail(err)
	}
	written = append(written, c.Key)
	u.step("checking the copy on " + u.name)
	if err := u.check(ctx, c.Key, sent); err != nil {
		return fail(err)
	}
	c.Size, c.SHA256 = sent.Size, sent.SHA256
	if m.Globals != "" {
		c.GlobalsKey = globalsKey(m.Name, enc)
		sent, err := u.putFile(ctx, c.GlobalsKey, m.Globals, -1, "")
		if err != nil {
			return fail(err)
		}
		written = append(written, c.GlobalsKey)
		if err := u.check(ctx, c.GlobalsKey, sent); err != nil {
			return fail(err)
		}
		c.GlobalsSize, c.GlobalsSHA256 = sent.Size, sent.SHA256
	}
	c.Verified, c.VerifiedBy, c.At = true, verifiedByReadBack, u.now()
	rm := m
	rm.Remotes = []RemoteCopy{c}
	data, err := json.MarshalIndent(rm, "", "  ")
	if err != nil {
		return fail(fmt.Errorf("encode the manifest: %w", err))
	}
	key := manifestKey(m.Name)
	if sent, err = u.b.Put(ctx, key, bytes.NewReader(append(data, '\n'))); err != nil {
		return fail(err)
	}
	written = append(written, key)
	u.sent += sent.Size
	if err := u.check(ctx, key, sent); err != nil {
		return fail(err)
	}
	return c, nil
}

// putFile streams the local file name to key. wantSize and wantSHA256
// (when known) are what the file held when it was verified: a file that
// changed since is not uploaded.
func (u *uploader) putFile(ctx context.Context, key, name string, wantSize int64, wantSHA256 string) (remote.Sent, error) {
	f, err := os.Open(filepath.Join(u.dir, name))
	if err != nil {
		return remote.Sent{}, fmt.Errorf("open %s: %w", name, err)
	}
	defer f.Close()
	size := wantSize
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	return u.putStream(ctx, key, newSourceReader(f, name, wantSize, wantSHA256, func(n int64) { u.progress(n, size) }), size)
}

// putStream sends src to key, encrypted when there are recipients; size
// is what progress reports as the whole, -1 when it is not known yet.
func (u *uploader) putStream(ctx context.Context, key string, src io.Reader, size int64) (remote.Sent, error) {
	u.progress(0, size)
	if len(u.recipients) > 0 {
		e := encrypt(src, u.recipients)
		defer e.Close()
		src = e
	}
	sent, err := u.b.Put(ctx, key, src)
	if err != nil {
		return sent, err
	}
	u.sent += sent.Size
	return sent, nil
}

// check proves the object under key holds what was sent: the store's size,
// then the sha256 of its bytes read back, streamed.
func (u *uploader) check(ctx context.Context, key string, sent remote.Sent) error {
	o, err := u.b.Head(ctx, key)
	if err != nil {
		return err
	}
	if o.Size != sent.Size {
		return fmt.Errorf("check %s there: the store holds %d bytes, %d were sent", key, o.Size, sent.Size)
	}
	rc, err := u.b.Get(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != sent.Size || got != sent.SHA256 {
		return fmt.Errorf("check %s there: read back %d bytes of sha256 %s, sent %d of %s", key, n, got, sent.Size, sent.SHA256)
	}
	return nil
}

// remove deletes the objects a failed copy wrote, so that nothing half
// made stays there; they are this run's own, just written. When deletes
// are refused, they stay, and read as a broken copy without a manifest.
func (u *uploader) remove(ctx context.Context, keys []string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	// The manifest first, as retention deletes: a copy never looks whole.
	for i := len(keys) - 1; i >= 0; i-- {
		if u.b.Delete(ctx, keys[i]) != nil {
			return
		}
	}
}
