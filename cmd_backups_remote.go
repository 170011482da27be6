package main

import (
	"context"
	"fmt"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// remoteBackups (`pgkeeper backups --remote NAME [--verify]`) lists what a
// remote holds of this database, and with --verify reads every copy whole
// and compares it with its manifest. It needs neither BACKUP_DIR, nor the
// age key, nor the live database, and it deletes nothing. Exit 1 when the
// listing fails, or with --verify when a copy is not as uploaded (changed,
// unreadable, or broken since: see Damaged); 2 for an unknown remote.
func remoteBackups(ctx context.Context, a *app, name string, verify bool) error {
	spec, err := jobs.FindRemote(a.remotes(), name)
	if err != nil {
		return misused("%w", err)
	}
	r, err := a.catalog().OnRemote(ctx, spec, verify)
	if err != nil {
		return failed(err)
	}
	fmt.Fprintln(a.stdout, a.red.String(render.RemoteBackups(r, time.Now(), render.Plain)))
	if n := r.Failed() + r.Damaged(); verify && n > 0 {
		return failed(fmt.Errorf("%d copies on %s are not as uploaded: see above", n, name))
	}
	return nil
}

// remotes are the configured remotes a restore or a listing may read.
func (a *app) remotes() []jobs.RemoteSpec { return jobs.RestoreConfigFrom(a.cfg).Remotes }
