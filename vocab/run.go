package vocab

import (
	"encoding/json"
	"time"
)

// Run is one recorded job run.
type Run struct {
	ID        int64
	Job       string // one of the Job* names
	Trigger   Trigger
	StartedAt time.Time
	EndedAt   time.Time // zero while running; the last heartbeat when abandoned
	Outcome   Outcome
	Error     string
	Figures   json.RawMessage // the job's figures as JSON; nil when none
	// HeartbeatAt is the run's last sign of life, by the database's clock.
	HeartbeatAt time.Time
	// AbandonedAt and AbandonedBy say when, and by what, a run whose
	// process had stopped was found (outcome "abandoned"); zero otherwise.
	AbandonedAt time.Time
	AbandonedBy string
}

// Running reports whether the run has not ended.
func (r Run) Running() bool { return r.EndedAt.IsZero() }

// Duration is how long the run took (an abandoned run: until its last sign
// of life); zero while it runs.
func (r Run) Duration() time.Duration {
	if r.Running() {
		return 0
	}
	return r.EndedAt.Sub(r.StartedAt)
}
