package vocab

// Outcome is how a job run ended, as its history records it.
type Outcome string

// Outcomes of a run.
const (
	OutcomeOK      Outcome = "ok"
	OutcomeWarning Outcome = "warning"
	OutcomeFailed  Outcome = "failed"
	OutcomeSkipped Outcome = "skipped" // another heavy job held the lock
	OutcomeRunning Outcome = "running" // not ended yet, as read back
	// OutcomeAbandoned is a run whose process stopped (killed, crashed, cut
	// off from the database) before recording its end; a failure.
	OutcomeAbandoned Outcome = "abandoned"
)

// Failed reports whether o is a failure: failed, or abandoned.
func (o Outcome) Failed() bool { return o == OutcomeFailed || o == OutcomeAbandoned }
