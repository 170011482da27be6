package jobs

import (
	"context"
	"time"

	"github.com/pgkeeper/pgkeeper/vocab"
)

// RecordedRestore is a RestoreTest whose every run, whatever triggered it, is
// recorded in the history (job "restore_test") with its figures.
type RecordedRestore struct {
	*RestoreTest
	History *History
}

// restoreFigures is what history keeps of a restore test.
type restoreFigures struct {
	Backup        string        `json:"backup,omitempty"`
	RTO           time.Duration `json:"rto_ns,omitempty"`
	RPO           time.Duration `json:"rpo_ns,omitempty"`
	RestoredBytes int64         `json:"restored_bytes,omitempty"`
	Tables        int           `json:"tables,omitempty"`
	Rows          int64         `json:"rows,omitempty"`
	Differences   int           `json:"differences,omitempty"`
	Swept         int           `json:"swept,omitempty"`
	FailedAt      string        `json:"failed_at,omitempty"`
	From          string        `json:"from,omitempty"` // the remote restored from
	// CiphertextOnly: an encrypted remote copy read and checked, not restored.
	CiphertextOnly bool `json:"ciphertext_only,omitempty"`
}

// Run runs the restore test and records it; a run with warnings (a scratch
// database that would not drop, a locale fallback) is recorded as a warning.
func (r RecordedRestore) Run(ctx context.Context, opts RestoreOptions, progress func(RestoreProgress)) (RestoreReport, error) {
	rec := r.History.Start(ctx, vocab.JobRestoreTest, opts.Trigger)
	defer rec.EndIfPanicking(ctx)
	rep, err := r.RestoreTest.Run(ctx, opts, progress)
	fig := restoreFigures{Backup: rep.Backup.Name, RTO: rep.RTO, RPO: rep.RPO, RestoredBytes: rep.RestoredBytes,
		Tables: rep.Tables, Rows: rep.Rows, Differences: len(rep.Differences), Swept: len(rep.Swept), FailedAt: rep.FailedAt,
		From: rep.From, CiphertextOnly: rep.CiphertextOnly}
	if Retried(err, opts.Trigger) {
		rec.Discard(ctx)
		return rep, err
	}
	var outcome vocab.Outcome
	if err == nil && len(rep.Warnings) > 0 {
		outcome = vocab.OutcomeWarning
	}
	rec.Finish(ctx, fig, outcome, err)
	// A ciphertext check restored nothing: it has no RTO to observe.
	if err == nil && !rep.CiphertextOnly && r.History != nil && r.History.Observer != nil {
		r.History.Observer.ObserveRestore(rep.RTO, rep.RPO)
	}
	return rep, err
}
