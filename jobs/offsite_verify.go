package jobs

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/pgkeeper/pgkeeper/remote"
)

// CopyVerdict is what streaming a remote copy found.
type CopyVerdict string

// Verdicts of a copy's check.
const (
	CopyOK         CopyVerdict = "ok"         // every object as its manifest recorded
	CopyChanged    CopyVerdict = "changed"    // an object's size or sha256 differs
	CopyUnreadable CopyVerdict = "unreadable" // an object could not be read whole
)

// CopyCheck is one remote copy read back whole and compared with its
// manifest: the dump object and, when there is one, the roles object.
type CopyCheck struct {
	Backup  string
	Verdict CopyVerdict
	Detail  string // what differs, or why it could not be read; "" when ok
	Bytes   int64  // bytes read
	// RolesUnrecorded: the roles object was read whole, but its manifest
	// predates recording its sha256, so nothing could be compared.
	RolesUnrecorded bool
}

// RemoteBackups is what one remote holds of this database (`pgkeeper
// backups --remote NAME`), and each copy's check when Verified.
type RemoteBackups struct {
	Remote string
	Where  string // s3://bucket/prefix
	// Origin is whose copies are listed; its SystemID is empty when the
	// live server does not answer, and then every server's copies of the
	// database's name are listed.
	Origin   Origin
	Listing  RemoteListing
	Verified bool
	Checks   []CopyCheck // when Verified: one per Listing.Backups, in its order
}

// Failed counts the copies whose check did not find them as recorded.
func (r RemoteBackups) Failed() int {
	n := 0
	for _, c := range r.Checks {
		if c.Verdict != CopyOK {
			n++
		}
	}
	return n
}

// Damaged counts the broken copies that have a manifest: complete once,
// and no longer as it recorded (an object lost, or of another size). A
// dump without a manifest is not counted: it may be an upload that has
// not written its manifest yet.
func (r RemoteBackups) Damaged() int {
	n := 0
	for _, b := range r.Listing.Broken {
		if slices.Contains(b.Keys, manifestKey(b.Name)) {
			n++
		}
	}
	return n
}

// OnRemote lists spec's copies of the catalog's database and, with verify,
// streams each one whole and compares it with its manifest. It needs
// neither BACKUP_DIR nor the identity (the recorded sha256 is of what was
// uploaded, ciphertext included), nor the live database; it deletes
// nothing. The error is a listing that failed or a cancel: a copy that does
// not check out is a verdict in the report, not an error.
func (c Catalog) OnRemote(ctx context.Context, spec RemoteSpec, verify bool) (RemoteBackups, error) {
	r := RemoteBackups{Remote: spec.Name, Origin: c.Origin(ctx), Verified: verify}
	b, err := remote.New(ctx, spec.Config)
	if err != nil {
		return r, err
	}
	r.Where = b.String()
	if r.Listing, err = ReadRemoteListing(ctx, b, spec.Name, r.Origin); err != nil {
		return r, fmt.Errorf("list remote %s: %w", spec.Name, err)
	}
	if !verify {
		return r, nil
	}
	for _, m := range r.Listing.Backups {
		check := checkCopy(ctx, b, m)
		if err := ctx.Err(); err != nil {
			return r, fmt.Errorf("verify remote %s: %w", spec.Name, err)
		}
		r.Checks = append(r.Checks, check)
	}
	return r, nil
}

// checkCopy streams a copy's objects and compares them with its record.
func checkCopy(ctx context.Context, b *remote.Bucket, m Manifest) CopyCheck {
	c := m.Remotes[0] // ReadRemoteListing lets through only copies with exactly one
	check := CopyCheck{Backup: m.Name, Verdict: CopyOK}
	objects := []struct {
		key, sha string
		size     int64
	}{{c.Key, c.SHA256, c.Size}}
	if c.GlobalsKey != "" {
		objects = append(objects, struct {
			key, sha string
			size     int64
		}{c.GlobalsKey, c.GlobalsSHA256, c.GlobalsSize})
		check.RolesUnrecorded = c.GlobalsSHA256 == ""
	}
	for _, o := range objects {
		sum := newObjectSum()
		err := readObject(ctx, b, o.key, sum, nil)
		check.Bytes += sum.n
		switch {
		case err != nil && errors.Is(err, remote.ErrNotFound):
			check.Verdict, check.Detail = CopyChanged, o.key+" is gone"
		case err != nil:
			check.Verdict, check.Detail = CopyUnreadable, fmt.Sprintf("%s: %s", o.key, oneLine(err.Error()))
		case o.sha == "" && o.size == 0:
			continue // a roles object whose record predates its size and sha256
		default:
			if cerr := c.compare(o.key, o.size, o.sha, sum); cerr != nil {
				check.Verdict, check.Detail = CopyChanged, changedDetail(o.key, o.size, o.sha, sum)
			}
		}
		if check.Verdict != CopyOK {
			return check
		}
	}
	return check
}

// changedDetail says what differs, in words for people.
func changedDetail(key string, size int64, sha string, got *objectSum) string {
	if got.n != size {
		return fmt.Sprintf("%s is %d bytes, its manifest says %d", key, got.n, size)
	}
	return fmt.Sprintf("%s: sha256 %s, its manifest says %s", key, got.hex(), sha)
}
