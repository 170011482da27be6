package jobs

import (
	"context"
	"sync"
	"time"

	"filippo.io/age"

	"github.com/pgkeeper/pgkeeper/internal/seal"
)

// copyToRemotes copies the verified, saved backup r.Manifest to every
// configured remote, at once: remotes are usually in different places, so
// their uploads share no bottleneck but this machine's disk and network,
// and each holds one part buffer (remote.DefaultPartSize) at a time. It
// fills r.Remotes, in configuration order, and r.Manifest.Remotes. Nothing
// here fails the backup: it stays verified and kept here whatever the
// remotes do.
func (b *Backup) copyToRemotes(ctx context.Context, r *BackupReport, existing []Manifest, origin Origin,
	progress func(BackupProgress), start time.Time) {
	specs := b.Config.Remotes
	r.Remotes = make([]RemoteOutcome, len(specs))
	rs, err := seal.Recipients(b.Config.Recipients)
	if err != nil {
		// Never send in the clear what was meant to leave encrypted.
		for i, s := range specs {
			r.Remotes[i] = RemoteOutcome{Remote: s.Name, Error: "BACKUP_AGE_RECIPIENTS: " + oneLine(err.Error()) +
				": nothing was copied; give age public keys (age1…) or ssh-ed25519 keys"}
		}
		return
	}
	order := make([]string, len(specs))
	for i, s := range specs {
		order[i] = s.Name
	}
	records := &localRecords{dir: b.Config.Dir, order: order}
	var mu sync.Mutex // progress is called from one remote at a time
	report := func(p BackupProgress) {
		mu.Lock()
		defer mu.Unlock()
		p.StartedAt, p.Elapsed = start, b.now().Sub(start)
		progress(p)
	}
	var wg sync.WaitGroup
	for i, spec := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			began := b.now()
			run := b.remoteRun(spec, r.Manifest, existing, origin, rs, records, report)
			cfg := spec.Config
			if cfg.Name == "" {
				cfg.Name = spec.Name
			}
			o := run.run(ctx, cfg)
			o.Duration = b.now().Sub(began)
			r.Remotes[i] = o
		}()
	}
	wg.Wait()
	for _, o := range r.Remotes {
		if o.Copy != nil {
			r.Manifest.Remotes = withCopy(r.Manifest.Remotes, *o.Copy, order)
		}
	}
}

// remoteRun prepares one remote's work in this run.
func (b *Backup) remoteRun(spec RemoteSpec, cur Manifest, existing []Manifest, origin Origin, rs []age.Recipient,
	records *localRecords, report func(BackupProgress)) *remoteRun {
	keep := spec.Keep
	if keep.KeepHourly == 0 && keep.KeepDaily == 0 && keep.KeepWeekly == 0 && keep.KeepMonthly == 0 {
		// No counts of its own: keep there what is kept here, rather than
		// only the newest copy.
		keep = b.Config.Retention
	}
	if keep.Location == nil {
		keep.Location = b.Config.Retention.Location
	}
	uploading := "uploading to " + spec.Name
	return &remoteRun{
		spec: spec, keep: keep, origin: origin,
		local:   append([]Manifest{cur}, existing...),
		records: records,
		up: &uploader{name: spec.Name, dir: b.Config.Dir, recipients: rs, now: b.now,
			progress: func(sent, size int64) {
				report(BackupProgress{Step: uploading, Remote: spec.Name, Sent: sent, Size: size})
			}},
		step: func(s string) { report(BackupProgress{Step: s, Remote: spec.Name}) },
	}
}
