package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pgkeeper/pgkeeper/vocab"
)

// PruneReport is what `pgkeeper backups --prune-broken` found and removed.
type PruneReport struct {
	DryRun  bool
	Broken  []BrokenBackup // what was found (and, unless DryRun, removed)
	Removed []string       // files removed
	Failed  []string       // files that could not be removed, with why
}

// PruneBroken removes the files of this database's broken backups; with
// dryRun it only lists them. It holds the heavy-job lock, so no backup is
// writing the files it judges, and judges them again under it.
func (c Catalog) PruneBroken(ctx context.Context, dryRun bool, trigger vocab.Trigger, now time.Time) (PruneReport, error) {
	r := PruneReport{DryRun: dryRun}
	lock, err := c.DB.TryLock(ctx, "prune broken backups", string(trigger), now)
	if err != nil {
		if errors.Is(err, ErrAlreadyRunning) {
			return r, err
		}
		return r, fmt.Errorf("prune broken backups: database unreachable: %w", err)
	}
	defer lock.Unlock(ctx)
	// Deleting needs to know the server: without it, another server's
	// backups of the same name could not be told apart.
	o, err := originOf(ctx, c.DB)
	if err != nil {
		return r, fmt.Errorf("prune broken backups: %w", err)
	}
	l, err := ReadListing(c.Dir, o)
	if err != nil {
		return r, err
	}
	r.Broken = l.Broken
	if dryRun {
		return r, nil
	}
	own := ownFilesOf(o.Database)
	for _, b := range l.Broken {
		for _, name := range b.Files {
			path := filepath.Join(c.Dir, name)
			st, err := os.Lstat(path)
			switch {
			case !own.isBackupFile(name):
				err = errors.New("not one of this database's backup file names")
			case err == nil && !st.Mode().IsRegular():
				err = errors.New("not a regular file")
			case err == nil:
				err = os.Remove(path)
			}
			if err != nil {
				r.Failed = append(r.Failed, name+": "+oneLine(err.Error()))
				continue
			}
			r.Removed = append(r.Removed, name)
		}
	}
	if len(r.Failed) > 0 {
		return r, fmt.Errorf("prune broken backups: %d files not removed", len(r.Failed))
	}
	return r, nil
}
