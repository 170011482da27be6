package jobs

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"filippo.io/age"

	"github.com/pgkeeper/pgkeeper/internal/seal"
)

// errBackupFailed is the verdict the uploads of a backup that failed get:
// their multipart uploads are aborted, and nothing is left there.
var errBackupFailed = errors.New("the backup failed: nothing to copy")

// offsite is one backup run's copies to its remotes. Each remote receives
// the dump while pg_dump still writes it (a follower reads the file), so
// the upload overlaps the dump and its verification; the object becomes
// visible only once the backup is verified and saved, and a backup that
// fails aborts the uploads. The remotes are served at once: they are
// usually in different places, so their uploads share no bottleneck but
// this machine's disk and network, and each holds one part buffer
// (remote.DefaultPartSize) at a time. Nothing here fails the backup.
type offsite struct {
	specs    []RemoteSpec
	problem  string // why nothing can be copied (bad recipients); "" when all is well
	outcomes []RemoteOutcome
	dumps    []*follower
	wg       sync.WaitGroup

	once    sync.Once
	decided chan struct{}
	saved   atomic.Bool // the backup was verified and saved: final holds its manifest
	final   Manifest
}

// startOffsite starts copying the dump being written at path (the backup
// m, not yet verified) to every configured remote; nil when there are none.
func (b *Backup) startOffsite(ctx context.Context, path string, m Manifest, existing []Manifest, origin Origin,
	progress func(BackupProgress), start time.Time) *offsite {
	specs := b.Config.Remotes
	if len(specs) == 0 {
		return nil
	}
	o := &offsite{specs: specs, outcomes: make([]RemoteOutcome, len(specs)), decided: make(chan struct{})}
	rs, err := seal.Recipients(b.Config.Recipients)
	if err != nil {
		// Never send in the clear what was meant to leave encrypted.
		o.problem = "BACKUP_AGE_RECIPIENTS: " + oneLine(err.Error()) +
			": nothing was copied; give age public keys (age1…) or ssh-ed25519 keys"
		return o
	}
	records := &localRecords{dir: b.Config.Dir, order: specNames(specs)}
	var mu sync.Mutex // progress is called from one remote at a time
	report := func(p BackupProgress) {
		mu.Lock()
		defer mu.Unlock()
		p.StartedAt, p.Elapsed = start, b.now().Sub(start)
		progress(p)
	}
	for i, spec := range specs {
		dump, err := follow(ctx, path)
		if err != nil {
			o.outcomes[i] = RemoteOutcome{Remote: spec.Name, Error: remoteProblem(err)}
			continue
		}
		o.dumps = append(o.dumps, dump)
		run := b.remoteRun(spec, m, existing, origin, rs, records, o.reporter(report))
		cfg := spec.Config
		if cfg.Name == "" {
			cfg.Name = spec.Name
		}
		o.wg.Add(1)
		go func() {
			defer o.wg.Done()
			defer dump.Close()
			began := b.now()
			out, ok := run.run(ctx, cfg, dump, o.verdict)
			if ok {
				out.Duration = b.now().Sub(began)
				o.outcomes[i] = out
			}
		}()
	}
	return o
}

// reporter passes on a remote's progress, but none of the upload's while
// the dump is still written: that step is the dump's.
func (o *offsite) reporter(report func(BackupProgress)) func(BackupProgress) {
	return func(p BackupProgress) {
		if !o.saved.Load() {
			return
		}
		if p.Size < 0 {
			p.Size = o.final.CompressedBytes
		}
		report(p)
	}
}

// verdict waits for the backup's end: its manifest once it is verified and
// saved, or false when it failed.
func (o *offsite) verdict() (Manifest, bool) {
	<-o.decided
	return o.final, o.saved.Load()
}

func (o *offsite) decide(m Manifest, err error) {
	o.once.Do(func() {
		if err == nil {
			o.final = m
			o.saved.Store(true)
		}
		for _, d := range o.dumps {
			d.finish(m.CompressedBytes, m.SHA256, err)
		}
		close(o.decided)
	})
}

// finish completes the copies of the verified, saved backup r.Manifest and
// fills r.Remotes, in configuration order, and r.Manifest.Remotes.
func (o *offsite) finish(r *BackupReport) {
	o.decide(r.Manifest, nil)
	o.wg.Wait()
	r.Remotes = o.outcomes
	for i := range r.Remotes {
		if o.problem != "" {
			r.Remotes[i] = RemoteOutcome{Remote: o.specs[i].Name, Error: o.problem}
		}
		if c := r.Remotes[i].Copy; c != nil {
			r.Manifest.Remotes = withCopy(r.Manifest.Remotes, *c, specNames(o.specs))
		}
	}
}

// abandon ends the uploads of a backup that failed (a no-op after finish)
// and waits for their aborts.
func (o *offsite) abandon() {
	if o == nil {
		return
	}
	o.decide(Manifest{}, errBackupFailed)
	o.wg.Wait()
}

func specNames(specs []RemoteSpec) []string {
	out := make([]string, len(specs))
	for i, s := range specs {
		out[i] = s.Name
	}
	return out
}

// remoteRun prepares one remote's work in this run.
func (b *Backup) remoteRun(spec RemoteSpec, cur Manifest, existing []Manifest, origin Origin, rs []age.Recipient,
	records *localRecords, report func(BackupProgress)) *remoteRun {
	keep := spec.Keep
	if keep.KeepHourly == 0 && keep.KeepDaily == 0 && keep.KeepWeekly == 0 && keep.KeepMonthly == 0 {
		// No counts of its own (config gives every remote some): keep
		// there what is kept here, rather than only the newest copy.
		keep = b.Config.Retention
	}
	keep = keep.InLocation(b.location())
	uploading := "uploading to " + spec.Name
	step := func(s string) { report(BackupProgress{Step: s, Remote: spec.Name}) }
	return &remoteRun{
		spec: spec, keep: keep, origin: origin,
		local:   append([]Manifest{cur}, existing...),
		records: records,
		up: &uploader{name: spec.Name, dir: b.Config.Dir, recipients: rs, now: b.now, step: step,
			progress: func(sent, size int64) {
				report(BackupProgress{Step: uploading, Remote: spec.Name, Sent: sent, Size: size})
			}},
		step: step,
	}
}
