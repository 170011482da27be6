package jobs

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/pgkeeper/pgkeeper/remote"
)

// staleUploadAge is how old an incomplete multipart upload must be before a
// run aborts it: older than any upload still running.
const staleUploadAge = 24 * time.Hour

// remoteRun is one backup run's work on one remote.
type remoteRun struct {
	spec    RemoteSpec
	keep    Retention
	origin  Origin
	local   []Manifest // this database's verified local backups, newest first, this run's first
	records *localRecords
	up      *uploader
	b       *remote.Bucket
	// step reports what is being done there, for the progress message.
	step  func(step string)
	out   RemoteOutcome
	notes []string
}

// run opens the remote and streams this run's dump there while it is
// written (dump: it ends only once the backup is verified), then, once the
// backup is verified and saved (verdict gives its manifest), completes the
// copy, fills what the remote lacks and applies its retention. A failure
// here never fails the backup: it is the outcome's Error (this run's copy)
// or a note (the rest). ok is false when the backup failed: nothing was
// copied, nothing is recorded.
func (r *remoteRun) run(ctx context.Context, cfg remote.Config, dump io.Reader, verdict func() (Manifest, bool)) (
	o RemoteOutcome, ok bool) {
	r.out.Remote = r.spec.Name
	b, err := remote.New(ctx, cfg)
	var staleErr error
	var sent remote.Sent
	if err == nil {
		r.b, r.up.b = b, b
		r.out.Aborted, staleErr = b.AbortStale(ctx, staleUploadAge, r.ownsKey)
		sent, err = r.up.putStream(ctx, dumpKey(r.local[0], len(r.up.recipients) > 0),
			newSourceReader(dump, r.local[0].DumpFile(), -1, "", func(n int64) { r.up.progress(n, -1) }), -1)
	}
	cur, ok := verdict()
	if !ok {
		return RemoteOutcome{}, false
	}
	r.local[0] = cur
	if r.b == nil {
		r.out.Error = remoteProblem(err)
		r.out.Missing = r.missingByRecords(map[string]bool{cur.Name: true})
		return r.finish(), true
	}
	c, err := r.up.putCopyWith(ctx, cur, func(string) (remote.Sent, error) { return sent, err })
	r.out.Copy = &c
	r.record(cur.Name, c)
	r.local[0].Remotes = withCopy(cur.Remotes, c, nil)
	if err != nil {
		// Whatever stopped this copy would stop the rest as well.
		r.out.Error = c.Error
		r.out.Missing = r.missingByRecords(map[string]bool{cur.Name: true})
		return r.finish(), true
	}
	if staleErr != nil {
		r.note("stale multipart uploads were not checked: " + oneLine(staleErr.Error()))
	}
	r.step("listing " + r.spec.Name)
	l, err := ReadRemoteListing(ctx, b, r.spec.Name, r.origin)
	if err != nil {
		r.note("what it holds could not be listed, so no gap was filled and nothing was deleted there: " + oneLine(err.Error()))
		r.out.Missing = r.missingByRecords(nil)
		return r.finish(), true
	}
	l = r.fill(ctx, l)
	r.retain(ctx, l)
	return r.finish(), true
}

func (r *remoteRun) finish() RemoteOutcome {
	r.out.Bytes = r.up.sent
	r.out.Note = strings.Join(r.notes, "; ")
	return r.out
}

func (r *remoteRun) note(s string) { r.notes = append(r.notes, s) }

// record writes c into backup name's local manifest. Failing that loses
// only the record: the copy is there, and the next listing finds it.
func (r *remoteRun) record(name string, c RemoteCopy) {
	if err := r.records.record(name, c); err != nil {
		r.note("the copy of " + name + " is not recorded in its manifest here: " + oneLine(err.Error()))
	}
}

// missingByRecords counts, when the remote could not be listed, the local
// backups its retention would keep whose local record says no verified copy
// is there; failed names the ones that just failed.
func (r *remoteRun) missingByRecords(failed map[string]bool) int {
	var have []Manifest
	for _, m := range r.local {
		if c, ok := m.CopyOn(r.spec.Name); ok && c.Verified && !failed[m.Name] {
			have = append(have, m)
		}
	}
	n := 0
	for _, m := range r.local {
		if c, ok := m.CopyOn(r.spec.Name); (!ok || !c.Verified || failed[m.Name]) && r.wanted(have, m) {
			n++
		}
	}
	return n
}

// wanted reports whether the remote's retention would keep m beside have:
// a backup it would drop at once is not worth sending.
func (r *remoteRun) wanted(have []Manifest, m Manifest) bool {
	for _, v := range r.keep.Apply(append(append([]Manifest(nil), have...), m)) {
		if v.Backup.Name == m.Name {
			return v.Keep
		}
	}
	return false
}

// denied reports whether err says these credentials may not do it.
func denied(err error) bool { return errors.Is(err, remote.ErrDenied) }

// ownsKey reports whether an object key under the remote's prefix is one of
// this database's names: only those uploads may be aborted as stale.
func (r *remoteRun) ownsKey(key string) bool {
	_, _, ok := remoteOwnOf(r.origin.Database).parse(key)
	return ok
}
