package jobs

import (
	"context"
	"strings"
)

// retain applies the remote's retention to its verified copies, l being a
// whole listing (one that failed never gets here). It deletes only what
// Apply drops, never the newest verified copy, never a broken copy (those
// are not in l.Backups), and each copy's manifest first, then its dump and
// roles, so a copy deleted halfway is a broken copy without a manifest, never
// a backup that looks whole. Every key is checked once more against this
// database's own names before it is deleted. Deletes refused (write-only
// keys, Object Lock) leave retention to the bucket's lifecycle rules: a
// note, not a failure.
func (r *remoteRun) retain(ctx context.Context, l RemoteListing) {
	if len(l.Backups) == 0 {
		return
	}
	if r.origin.SystemID == "" {
		// Without the server's identity another server's copies of a
		// database of the same name cannot be told apart: delete nothing.
		r.note("retention skipped: the database server did not say who it is")
		return
	}
	r.step("applying retention on " + r.spec.Name)
	verdicts := r.keep.Apply(l.Backups)
	r.out.Kept = verdicts
	newest := l.Backups[0].Name
	own := remoteOwnOf(r.origin.Database)
	for _, v := range verdicts {
		if v.Keep || v.Backup.Name == newest {
			continue
		}
		keys, ok := r.keysOf(own, v.Backup)
		if !ok {
			r.note(v.Backup.Name + " was left: its manifest names objects that are not its own")
			continue
		}
		for _, k := range keys {
			err := r.b.Delete(ctx, k)
			if err == nil {
				continue
			}
			if denied(err) {
				r.note("retention left to the bucket's lifecycle rules (deletes are refused: " + oneLine(err.Error()) + ")")
			} else {
				r.note("retention stopped at " + k + ": " + oneLine(err.Error()))
			}
			return
		}
		r.out.Deleted = append(r.out.Deleted, v.Backup.Remotes[0].Key)
	}
}

// keysOf is the objects of copy m, manifest first, when every one is this
// database's own name for m and m comes from this server and database.
func (r *remoteRun) keysOf(own remoteOwn, m Manifest) ([]string, bool) {
	if !r.origin.owns(m) || m.Database != r.origin.Database || len(m.Remotes) != 1 {
		return nil, false
	}
	c := m.Remotes[0]
	keys := []string{manifestKey(m.Name), c.Key}
	if c.GlobalsKey != "" {
		keys = append(keys, c.GlobalsKey)
	}
	for _, k := range keys {
		base, _, ok := own.parse(k)
		if !ok || base != m.Name || strings.Contains(k, "/") {
			return nil, false
		}
	}
	return keys, true
}
