package jobs

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"strings"

	"filippo.io/age"

	"github.com/pgkeeper/pgkeeper/internal/seal"
	"github.com/pgkeeper/pgkeeper/remote"
)

// Errors of a restore from a remote that callers can branch on.
var (
	// ErrUnknownRemote means a remote's name that is not configured.
	ErrUnknownRemote = errors.New("no remote of that name")
	// ErrRemoteChanged means a remote object differs from what its manifest
	// recorded at upload: someone or something changed it since.
	ErrRemoteChanged = errors.New("the copy on the remote changed since it was uploaded")
	// ErrRemoteRead means a remote object could not be read whole: the
	// network or the store failed, which says nothing about the copy.
	ErrRemoteRead = errors.New("could not read the copy from the remote")
	// ErrNoIdentity means a recovery from an encrypted copy without an
	// identity file to decrypt it.
	ErrNoIdentity = errors.New("the copy is encrypted and no identity file was given")
)

// FindRemote is the configured remote called name; an unknown name is an
// error that lists the configured ones.
func FindRemote(specs []RemoteSpec, name string) (RemoteSpec, error) {
	names := make([]string, 0, len(specs))
	for _, s := range specs {
		if s.Name == name {
			return s, nil
		}
		names = append(names, s.Name)
	}
	if len(names) == 0 {
		return RemoteSpec{}, fmt.Errorf("%w %q: none is configured (BACKUP_REMOTES)", ErrUnknownRemote, name)
	}
	return RemoteSpec{}, fmt.Errorf("%w %q: the configured ones are %s", ErrUnknownRemote, name, strings.Join(names, ", "))
}

// CheckFrom checks a run's remote options before anything runs or is
// recorded: the remote is configured, and the identity file (given, or the
// remote's own) is one seal accepts (0600, holding a key). Its errors are
// the caller's to fix.
func (t *RestoreTest) CheckFrom(opts RestoreOptions) error {
	if opts.From == "" {
		if opts.Identity != "" {
			return errors.New("an identity file is for restoring a remote's encrypted copy: give the remote too (--from NAME)")
		}
		return nil
	}
	spec, err := FindRemote(t.Config.Remotes, opts.From)
	if err != nil {
		return err
	}
	if path := identityOf(spec, opts); path != "" {
		_, err = seal.LoadIdentities(path)
	}
	return err
}

func identityOf(spec RemoteSpec, opts RestoreOptions) string {
	if opts.Identity != "" {
		return opts.Identity
	}
	return spec.Identity
}

// fromRemote is a restore's source on a remote: the bucket, the copy found
// there, and the identities that open it (none when none was given).
type fromRemote struct {
	spec   RemoteSpec
	bucket *remote.Bucket
	copy   RemoteCopy
	ids    []age.Identity
}

// openRemote opens opts.From's bucket and loads the identity, if any.
func (t *RestoreTest) openRemote(ctx context.Context, opts RestoreOptions) (*fromRemote, error) {
	spec, err := FindRemote(t.Config.Remotes, opts.From)
	if err != nil {
		return nil, err
	}
	f := &fromRemote{spec: spec}
	if path := identityOf(spec, opts); path != "" {
		if f.ids, err = seal.LoadIdentities(path); err != nil {
			return nil, err
		}
	}
	if f.bucket, err = remote.New(ctx, spec.Config); err != nil {
		return nil, err
	}
	return f, nil
}

// find picks the copy called name (the newest when empty) among the
// remote's verified copies of o.
func (f *fromRemote) find(ctx context.Context, o Origin, name string) (Manifest, error) {
	l, err := ReadRemoteListing(ctx, f.bucket, f.spec.Name, o)
	if err != nil {
		return Manifest{}, fmt.Errorf("list remote %s: %w", f.spec.Name, err)
	}
	m, err := l.Find(name)
	if err != nil {
		return Manifest{}, err
	}
	f.copy = m.Remotes[0]
	return m, nil
}

// Find picks a verified copy by name (newest when empty) from the listing.
func (l RemoteListing) Find(name string) (Manifest, error) {
	if name == "" {
		if len(l.Backups) == 0 {
			note := ""
			if len(l.Broken) > 0 {
				note = fmt.Sprintf(" (%d broken copies there cannot be used: pgkeeper backups --remote %s says why)",
					len(l.Broken), l.Remote)
			}
			return Manifest{}, fmt.Errorf("no verified copy of this database on remote %s%s", l.Remote, note)
		}
		return l.Backups[0], nil
	}
	name = path.Base(name) // a key or URL pasted whole
	name = strings.TrimSuffix(strings.TrimSuffix(name, dumpSuffix+ageSuffix), dumpSuffix)
	name = strings.TrimSuffix(name, manifestSuffix)
	for _, m := range l.Backups {
		if m.Name == name {
			return m, nil
		}
	}
	for _, b := range l.Broken {
		if b.Name == name {
			return Manifest{}, fmt.Errorf("%w: %s on remote %s %s: it is not used", ErrBrokenBackup, name, l.Remote, b.Reason)
		}
	}
	return Manifest{}, fmt.Errorf("no verified copy called %q on remote %s: pgkeeper backups --remote %s lists them",
		name, l.Remote, l.Remote)
}

// locked reports whether the copy is encrypted and no identity opens it here.
func (f *fromRemote) locked() bool { return f.copy.Encrypted && len(f.ids) == 0 }

// checkKey reads the copy's age header only: a wrong identity is refused
// before anything is made.
func (f *fromRemote) checkKey(ctx context.Context) error {
	if !f.copy.Encrypted {
		return nil
	}
	body, err := f.bucket.Get(ctx, f.copy.Key)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrRemoteRead, err)
	}
	defer body.Close()
	sum := newObjectSum()
	if _, err := seal.Decrypt(io.TeeReader(body, sum), f.ids); err != nil {
		// A header changed in the bucket reads like a wrong key: the
		// object's sha256 tells them apart.
		if _, rerr := io.Copy(sum, &ctxReader{ctx: ctx, r: body}); rerr == nil {
			if cerr := f.copy.compare(f.copy.Key, f.copy.Size, f.copy.SHA256, sum); cerr != nil {
				return cerr
			}
		}
		return fmt.Errorf("%s on %s: %w", f.copy.Key, f.spec.Name, err)
	}
	return nil
}

// source streams the copy: the object's bytes are counted and hashed on the
// way, decrypted when encrypted, and handed on compressed. Once read, the
// object's size and sha256 must be the recorded ones; when they are not,
// that is the error, whatever decrypting or decompressing said about it.
func (f *fromRemote) source() dumpSource {
	return func(ctx context.Context) (io.Reader, func(error) error, error) {
		body, err := f.bucket.Get(ctx, f.copy.Key)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrRemoteRead, err)
		}
		got := &readErr{r: body}
		sum := newObjectSum()
		raw := io.TeeReader(bufio.NewReaderSize(got, 1<<20), sum)
		done := func(err error) error {
			defer body.Close()
			if ctx.Err() != nil {
				return err
			}
			// The whole object, for its sha256, however far decoding got.
			// A download cut short explains whatever decoding said of it.
			if _, derr := io.Copy(io.Discard, raw); got.err != nil || derr != nil {
				return fmt.Errorf("%w: %w", ErrRemoteRead, cmp.Or(got.err, derr))
			}
			if cerr := f.copy.compare(f.copy.Key, f.copy.Size, f.copy.SHA256, sum); cerr != nil {
				return cerr
			}
			return err
		}
		if !f.copy.Encrypted {
			return raw, done, nil
		}
		plain, err := seal.Decrypt(raw, f.ids)
		if err != nil {
			return nil, nil, done(fmt.Errorf("%s on %s: %w", f.copy.Key, f.spec.Name, err))
		}
		return plain, done, nil
	}
}

// readErr keeps the first error of reading a download, to tell a cut
// connection from a copy that does not decode.
type readErr struct {
	r   io.Reader
	err error
}

func (e *readErr) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// objectSum counts and hashes an object's bytes as they pass.
type objectSum struct {
	n int64
	h hash.Hash
}

func newObjectSum() *objectSum { return &objectSum{h: sha256.New()} }

func (s *objectSum) Write(p []byte) (int, error) {
	s.n += int64(len(p))
	return s.h.Write(p)
}

func (s *objectSum) hex() string { return hex.EncodeToString(s.h.Sum(nil)) }

// compare says how an object read back (got) differs from its record.
func (c RemoteCopy) compare(key string, size int64, sha string, got *objectSum) error {
	switch {
	case got.n != size:
		return fmt.Errorf("%w: %s on %s is %d bytes, its manifest says %d", ErrRemoteChanged, key, c.Remote, got.n, size)
	case sha != "" && got.hex() != sha:
		return fmt.Errorf("%w: the sha256 of %s on %s is %s, its manifest says %s", ErrRemoteChanged, key, c.Remote,
			got.hex(), sha)
	}
	return nil
}

// readObject streams key whole into sum (and w, when not nil).
func readObject(ctx context.Context, b *remote.Bucket, key string, sum *objectSum, w io.Writer) error {
	body, err := b.Get(ctx, key)
	if err != nil {
		return err
	}
	defer body.Close()
	dst := io.Writer(sum)
	if w != nil {
		dst = io.MultiWriter(sum, w)
	}
	_, err = io.Copy(dst, &ctxReader{ctx: ctx, r: body})
	return err
}
