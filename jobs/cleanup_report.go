package jobs

import (
	"fmt"
	"time"

	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// CleanupPreview is what a cleanup would delete now, and what it would keep
// by each rule; exact figures, nothing deleted.
type CleanupPreview struct {
	At             time.Time
	Table          vocab.Ident
	AgeColumn      string
	ExpiresColumn  string // "" when the expires rule is off
	RetentionDays  int
	Cutoff         time.Time // rows whose age column is older are expired
	ProtectedTypes []string
	// Counts: rows to delete by key_type (Expired), kept by rule
	// (KeptProtected, KeptCurrentPreKey), age buckets, oldest and newest.
	Counts store.CleanupCounts
	Sizes  vocab.RelationSizes // table, index, total size; live and dead tuples
	// Guard is why a run nobody confirmed would delete nothing (over
	// CLEANUP_MAX_ROWS or CLEANUP_MAX_SHARE); "" when it would go ahead.
	Guard string
	Took  time.Duration
}

// ToDelete is how many keys a cleanup would delete now.
func (p CleanupPreview) ToDelete() int64 { return p.Counts.Expired }

// CleanupOptions are one run's choices.
type CleanupOptions struct {
	// Confirmed is true when a person asked for this run (a chat button, the
	// shell's --yes): the MaxRows and MaxShare guards then do not apply.
	Confirmed bool
	Trigger   vocab.Trigger
}

// Phases of a cleanup run, as progress reports them.
const (
	PhaseCounting = "counting"
	PhaseDeleting = "deleting"
	PhaseVacuum   = "vacuum"
)

// CleanupProgress is reported at least once a second while a run works.
type CleanupProgress struct {
	Phase    string
	Deleted  int64   // so far, committed
	Expected int64   // what the preview counted at the start
	Rate     float64 // rows deleted per second so far
	Batches  int
	// PagesWalked of Pages: how far through the table the walk is.
	PagesWalked, Pages int64
	Elapsed            time.Duration
	StartedAt          time.Time
	// Vacuum is how far VACUUM is through the table's pages, when known.
	VacuumScanned, VacuumTotal int64
}

// VacuumOutcome is what the VACUUM (ANALYZE) after a cleanup did.
type VacuumOutcome struct {
	Ran      bool
	Skipped  string // why it did not run: "off", "nothing deleted", "stopped", "guarded", "cleanup failed"
	Error    string
	Duration time.Duration
	// Dead tuples and sizes just before and just after the vacuum.
	DeadBefore, DeadAfter int64
	Before, After         vocab.RelationSizes
}

// TypeCount is a number of rows of one key type.
type TypeCount struct {
	Type string
	Rows int64
}

// CleanupReport is the outcome of a cleanup run, whatever happened.
type CleanupReport struct {
	Run       string // run id, also the undo file's name; "" when nothing was deleted
	Trigger   vocab.Trigger
	Confirmed bool
	StartedAt time.Time
	Cutoff    time.Time
	// Preview holds the exact figures counted at the start: rows, what was
	// to be deleted, and what the rules kept (KeptProtected, KeptCurrentPreKey).
	Preview CleanupPreview
	// Guarded: an unconfirmed run would have deleted more than the guards
	// allow, so it deleted nothing; GuardReason says why. The caller posts
	// the preview with confirmation buttons instead.
	Guarded     bool
	GuardReason string
	// LimitReached: an unconfirmed run stopped at the guard limit because
	// more rows expired since it counted.
	LimitReached bool

	Deleted       int64
	DeletedByType []TypeCount // by key type, in name order
	Batches       int
	BusyRetries   int   // batches retried after meeting a row lock
	PagesWalked   int64 // of Pages, the table's size in pages when the walk began
	Pages         int64
	Duration      time.Duration
	DeleteTime    time.Duration // the batches alone
	Rate          float64       // rows per second while deleting
	// Stopped: the context was cancelled; the run stopped between batches and
	// everything it reports as deleted is gone, nothing else.
	Stopped bool
	// Uncertain is set when the connection broke while a batch committed:
	// up to that many more rows may be gone (they are in the undo file).
	Uncertain int64

	Before     vocab.RelationSizes // before deleting
	AfterWalk  vocab.RelationSizes // after the batches, before vacuum
	After      vocab.RelationSizes // at the end
	Vacuum     VacuumOutcome
	UndoFile   string    // path of the undo file; "" when nothing was deleted
	UndoExpiry time.Time // the undo button and the file go after this
	UndoSwept  []string  // undo files past their time removed by this run
	origin     Origin    // whose undo file this run writes

	WarnRows int    // the threshold OverWarnRows compares with
	Error    string // one line; set exactly when the run failed
	FailedAt string // the step that failed
}

// OK reports whether the run did not fail (guarded and stopped runs are OK).
func (r CleanupReport) OK() bool { return r.Error == "" }

// OverWarnRows reports whether the run deleted more than CLEANUP_WARN_ROWS:
// such runs go to Sentry as warnings, the others as info.
func (r CleanupReport) OverWarnRows() bool { return r.Deleted > int64(r.WarnRows) }

// Level grades the run: critical when it failed; a warning when it deleted
// more than WarnRows, was guarded, stopped early, left rows uncertain, or its
// vacuum failed.
func (r CleanupReport) Level() Level {
	switch {
	case r.Error != "":
		return LevelCritical
	case r.OverWarnRows() || r.Guarded || r.Stopped || r.LimitReached || r.Uncertain > 0 || r.Vacuum.Error != "":
		return LevelWarn
	}
	return LevelOK
}

// fail records a failure and returns it as the run's error.
func (r *CleanupReport) fail(step string, err error) error {
	r.FailedAt, r.Error = step, oneLine(err.Error())
	return fmt.Errorf("cleanup: %s: %w", step, err)
}

// UndoReport is the outcome of putting a cleanup's rows back.
type UndoReport struct {
	Run      string
	File     string
	Table    vocab.Ident
	Rows     int64 // rows in the undo file
	Restored int64 // put back
	Skipped  int64 // written again since the cleanup: the live value was kept
	// Unchanged rows were in the table already as the file holds them: never
	// deleted (a batch that did not commit before a crash or a broken
	// connection), or put back by an earlier, stopped undo.
	Unchanged int64
	Duration  time.Duration
	Stopped   bool // cancelled between batches: Restored is exact, run it again to finish
	Error     string
	FailedAt  string
}

// OK reports whether the undo did not fail.
func (r UndoReport) OK() bool { return r.Error == "" }

func (r *UndoReport) fail(step string, err error) error {
	r.FailedAt, r.Error = step, oneLine(err.Error())
	return fmt.Errorf("cleanup undo: %s: %w", step, err)
}
