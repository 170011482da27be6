package jobs

import (
	"context"
	"errors"

	"github.com/pgkeeper/pgkeeper/remote"
)

// fillPerRun bounds the older backups one run copies to a remote that
// lacks them: an outage of a week is made good over a few runs, and no run
// is held for hours.
const fillPerRun = 3

// fill copies to the remote, newest first, the verified local backups it
// holds no verified copy of and its retention would keep, up to fillPerRun;
// Missing counts the rest. It returns l with the new copies in it. A name
// taken there by anything that is not a verified copy of ours (another
// server's backup, a broken copy with a manifest) is not overwritten.
func (r *remoteRun) fill(ctx context.Context, l RemoteListing) RemoteListing {
	there := map[string]Manifest{}
	for _, m := range l.Backups {
		there[m.Name] = m
	}
	stopped := false
	for _, m := range r.local {
		if rm, ok := there[m.Name]; ok {
			r.mend(m, rm)
			continue
		}
		if !r.wanted(l.Backups, m) {
			continue
		}
		if stopped || len(r.out.Filled) >= fillPerRun {
			r.out.Missing++
			continue
		}
		_, err := r.b.Head(ctx, manifestKey(m.Name))
		switch {
		case err == nil:
			r.note(m.Name + " is not copied: its name there is taken by a manifest that is not a verified copy of it " +
				"(`pgkeeper backups --remote " + r.spec.Name + "` says why)")
			r.out.Missing++
			continue
		case !errors.Is(err, remote.ErrNotFound):
			r.note("older backups were not copied: " + oneLine(err.Error()))
			stopped = true
			r.out.Missing++
			continue
		}
		c, err := r.up.putCopy(ctx, m)
		r.record(m.Name, c)
		if err != nil {
			r.note("copying " + m.Name + " failed: " + c.Error)
			stopped = true
			r.out.Missing++
			continue
		}
		r.out.Filled = append(r.out.Filled, m.Name)
		rm := m
		rm.Remotes = []RemoteCopy{c}
		l.Backups = append(l.Backups, rm)
		sortNewestFirst(l.Backups)
	}
	return l
}

// mend writes into m's local manifest the remote's verified copy of it when
// the local record lacks it: a run that stopped after the copy but before
// recording it, or a copy made from another machine.
func (r *remoteRun) mend(m, there Manifest) {
	c, ok := m.CopyOn(r.spec.Name)
	if ok && c.Verified && c.SHA256 == there.Remotes[0].SHA256 {
		return
	}
	c = there.Remotes[0]
	c.Remote = r.spec.Name // its own name for it, whatever the manifest there says
	r.record(m.Name, c)
}
