package jobs

import (
	"context"
	"fmt"
	"strings"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
)

// find is the backup a run restores and, for a run from a remote, its
// source there (nil for BACKUP_DIR). A remote's copies are those of this
// database and, when the live server answers, of this server; when it does
// not (a recovery), any server's copies of the database's name.
func (t *RestoreTest) find(ctx context.Context, opts RestoreOptions) (Manifest, *fromRemote, error) {
	if opts.From == "" {
		m, err := t.catalog().Find(ctx, opts.Backup)
		return m, nil, err
	}
	src, err := t.openRemote(ctx, opts)
	if err != nil {
		return Manifest{}, nil, err
	}
	m, err := src.find(ctx, t.catalog().Origin(ctx), opts.Backup)
	if err != nil {
		return Manifest{}, nil, err
	}
	return m, src, nil
}

// ciphertextOnly is the restore test of an encrypted remote copy when no
// identity is at hand: it streams the object and checks its size and
// sha256 against the manifest, and restores nothing.
//
// It passes (exit 0), as a warning in the report and the history, and it is
// no restore proof: nothing is recorded in the manifest and no RTO is
// measured. Why a pass: keeping the private key off the server is the
// design (only public keys live there), so a failure here would fire every
// day until people learned to ignore it; what could be checked without the
// key was checked, and the report says plainly that that is all.
func (t *RestoreTest) ciphertextOnly(ctx context.Context, r *RestoreReport, src *fromRemote, tk *ticker,
	timer *stepTimer) (RestoreReport, error) {
	r.CiphertextOnly, r.Dropped = true, true // nothing is made, so nothing is left
	tk.set("reading the ciphertext on "+src.spec.Name, src.copy.Size)
	timer.begin("check ciphertext")
	sum := newObjectSum()
	err := readObject(ctx, src.bucket, src.copy.Key, sum, &tk.fed)
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrRemoteRead, err)
	} else {
		err = src.copy.compare(src.copy.Key, src.copy.Size, src.copy.SHA256, sum)
	}
	if err != nil {
		return *r, r.fail("check ciphertext", err)
	}
	timer.end()
	r.Warnings = append(r.Warnings, fmt.Sprintf("only the ciphertext was checked: %s on %s, %s, sha256 as uploaded. "+
		"Nothing was restored, so this proves the copy is intact, not that it restores. %s",
		src.copy.Key, src.spec.Name, humanize.Bytes(sum.n), identityHint(src.spec.Name)))
	return *r, nil
}

// identityHint says how to give the identity that opens remote's copies.
func identityHint(remoteName string) string {
	return "To restore it, give the age identity file (chmod 600) with --identity FILE, " +
		"or set BACKUP_REMOTE_" + strings.ToUpper(remoteName) + "_IDENTITY."
}
