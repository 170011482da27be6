package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/pgkeeper/pgkeeper/vocab"
)

// RecordedBackup is a Backup whose every run, whatever triggered it, is
// recorded in the history with its figures and sampled for the charts.
type RecordedBackup struct {
	*Backup
	History *History
}

// backupFigures is what history keeps of a backup run.
type backupFigures struct {
	File            string        `json:"file,omitempty"`
	Kind            string        `json:"kind,omitempty"`
	RawBytes        int64         `json:"raw_bytes,omitempty"`
	CompressedBytes int64         `json:"compressed_bytes,omitempty"`
	Rows            int64         `json:"rows,omitempty"`
	Duration        time.Duration `json:"duration_ns,omitempty"`
	Deleted         int           `json:"deleted,omitempty"`
	FailedAt        string        `json:"failed_at,omitempty"`
	Warnings        int           `json:"warnings,omitempty"`
	DryRun          bool          `json:"dry_run,omitempty"`
	// RemotesFailed names the remotes this run's backup did not reach.
	RemotesFailed []string `json:"remotes_failed,omitempty"`
}

// Run runs the backup and records it.
func (b RecordedBackup) Run(ctx context.Context, opts BackupOptions, progress func(BackupProgress)) (BackupReport, error) {
	rec := b.History.Start(ctx, vocab.JobBackup, opts.Trigger)
	defer rec.EndIfPanicking(ctx)
	r, err := b.Backup.Run(ctx, opts, progress)
	b.finish(ctx, rec, opts, r, err)
	return r, err
}

// finish records how the run ended, its figures, and its samples.
func (b RecordedBackup) finish(ctx context.Context, rec *Recording, opts BackupOptions, r BackupReport, err error) {
	m := r.Manifest
	fig := backupFigures{File: m.DumpFile(), Kind: m.Kind, RawBytes: m.RawBytes, CompressedBytes: m.CompressedBytes,
		Rows: m.TotalRows(), Duration: m.Duration, Deleted: len(r.Deleted), FailedAt: r.FailedAt,
		Warnings: len(r.Warnings), DryRun: r.DryRun}
	if Retried(err, opts.Trigger) {
		rec.Discard(ctx)
		return
	}
	outcome, recorded := backupOutcome(r, err)
	if re := (*RemoteError)(nil); errors.As(recorded, &re) {
		fig.RemotesFailed = re.Remotes()
	}
	rec.Finish(ctx, fig, outcome, recorded)
	b.History.SampleBackup(ctx, r)
}

// backupOutcome is how the history records a backup run: its error as it
// is; a verified backup with warnings as a warning; one that a remote did
// not get as a warning too, with the remotes' failure as its error text, so
// that /history says which remote failed and why. It stays a warning, as a
// failed BACKUP_COPY_COMMAND does: the backup itself is verified and kept,
// and the alert, the exit code and the remote's metrics carry the failure.
func backupOutcome(r BackupReport, err error) (vocab.Outcome, error) {
	if err != nil {
		return "", err
	}
	if rerr := r.RemoteError(); rerr != nil {
		return vocab.OutcomeWarning, rerr
	}
	if len(r.Warnings) > 0 {
		return vocab.OutcomeWarning, nil
	}
	return "", nil
}

// Retried reports whether a run found another heavy job running and will be
// tried again by the scheduler, which records the chain once (see
// Recording.Discard); the shell and the chat do not retry, so their skipped
// runs stay in the history.
func Retried(err error, trigger vocab.Trigger) bool {
	return trigger == vocab.TriggerSchedule && errors.Is(err, ErrAlreadyRunning)
}
