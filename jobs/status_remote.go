package jobs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/remote"
)

// remoteStatusDeadline bounds listing one remote for a status report: a
// bucket that does not answer is said to be unreachable, and the report
// falls back on what the local manifests recorded of it.
const remoteStatusDeadline = 10 * time.Second

// RemoteStatus is one configured remote as a status report sees it: its
// newest verified copy of this database and how many it holds.
type RemoteStatus struct {
	Name  string
	Where string // s3://bucket/prefix, for people; never credentials
	// Listed: the figures come from listing the bucket now, each copy's
	// objects checked against its manifest. Otherwise the bucket could not
	// be listed (Error says why) and they come from the local manifests'
	// records of their copies there, which nothing has checked since.
	Listed bool
	Error  string
	Newest *Manifest // the newest verified copy there; nil: none
	Copies int       // verified copies there
	Broken int       // copies there that cannot be trusted (listed only)
	Stale  bool      // Newest is older than BackupMaxAge, or there is none
}

// Age is how old the remote's newest verified copy is at now (its
// snapshot's time, as a local backup's age is measured).
func (rs RemoteStatus) Age(now time.Time) time.Duration {
	if rs.Newest == nil {
		return 0
	}
	return now.Sub(rs.Newest.Start)
}

// startRemotes lists every configured remote at once, each within
// remoteStatusDeadline, while the rest of the report is made; the returned
// function waits for them.
func (s *Status) startRemotes(ctx context.Context, o Origin) func() []RemoteStatus {
	out := make([]RemoteStatus, len(s.Config.Remotes))
	var wg sync.WaitGroup
	for i, spec := range s.Config.Remotes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = s.remoteStatus(ctx, spec, o)
		}()
	}
	return func() []RemoteStatus {
		wg.Wait()
		return out
	}
}

// remoteStatus lists one remote, or says why it could not and falls back on
// the local records.
func (s *Status) remoteStatus(ctx context.Context, spec RemoteSpec, o Origin) RemoteStatus {
	rs := RemoteStatus{Name: spec.Name, Where: "s3://" + spec.Config.Bucket}
	if spec.Config.Prefix != "" {
		rs.Where += "/" + spec.Config.Prefix
	}
	ctx, cancel := context.WithTimeout(ctx, remoteStatusDeadline)
	defer cancel()
	l, err := listRemote(ctx, spec, o)
	if err == nil {
		rs.Listed, rs.Copies, rs.Broken = true, len(l.Backups), len(l.Broken)
		if len(l.Backups) > 0 {
			rs.Newest = &l.Backups[0]
		}
		return rs
	}
	// The report names the remote already.
	rs.Error = trimRemoteName(remoteReason(err), spec.Name)
	local, lerr := ReadListing(s.Config.BackupDir, o)
	if lerr != nil {
		return rs
	}
	for i, m := range local.Backups {
		if c, ok := m.CopyOn(spec.Name); ok && c.Verified {
			if rs.Newest == nil {
				rs.Newest = &local.Backups[i]
			}
			rs.Copies++
		}
	}
	return rs
}

func listRemote(ctx context.Context, spec RemoteSpec, o Origin) (RemoteListing, error) {
	b, err := remote.New(ctx, spec.Config)
	if err != nil {
		return RemoteListing{}, err
	}
	return ReadRemoteListing(ctx, b, spec.Name, o)
}

// remoteReason is a listing's failure for a report, shortened for the
// deadline.
func remoteReason(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer within " + remoteStatusDeadline.String()
	}
	return oneLine(err.Error())
}

// judgeRemotes grades each remote: one that could not be listed, holds no
// verified copy, or whose newest is past BACKUP_MAX_AGE_HOURS is a warning.
func (s *Status) judgeRemotes(r *StatusReport, now time.Time) {
	for i := range r.Remotes {
		rs := &r.Remotes[i]
		age := rs.Age(now)
		rs.Stale = rs.Newest == nil || (s.Config.BackupMaxAge > 0 && age > s.Config.BackupMaxAge)
		switch {
		case !rs.Listed:
			// Not only unreachable: wrong keys or a missing bucket too.
			records := "the local records show no verified copy there"
			if rs.Newest != nil {
				records = fmt.Sprintf("the local records show %d verified %s there, the newest %s old", rs.Copies,
					plural(rs.Copies, "copy", "copies"), humanize.Duration(age))
			}
			r.add(LevelWarn, "remote %s (%s) could not be listed: %s. Unchecked, %s; `pgkeeper check` tests the remote",
				rs.Name, rs.Where, rs.Error, records)
		case rs.Newest == nil:
			r.add(LevelWarn, "remote %s holds no verified copy: the next backup uploads one; "+
				"if it fails, its report says why", rs.Name)
		}
		if rs.Newest != nil && rs.Stale {
			r.add(LevelWarn, "newest verified copy on remote %s is %s old, over the %s limit (BACKUP_MAX_AGE_HOURS): "+
				"check the last backup's report for that remote", rs.Name, humanize.Duration(age),
				humanize.Duration(s.Config.BackupMaxAge))
		}
		if rs.Broken > 0 {
			r.add(LevelWarn, "remote %s holds %d copies that cannot be trusted: never used or deleted by themselves; "+
				"`pgkeeper backups --remote %s` lists them", rs.Name, rs.Broken, rs.Name)
		}
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
