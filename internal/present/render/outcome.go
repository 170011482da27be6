package render

import (
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// outcomeLevel grades a recorded run's outcome: failed and abandoned runs
// are failures, a warning or a skip needs a look, only ok is fine. A run
// still going has no outcome yet: it is no success either.
func outcomeLevel(o vocab.Outcome) jobs.Level {
	switch {
	case o == vocab.OutcomeOK:
		return jobs.LevelOK
	case o.Failed():
		return jobs.LevelCritical
	default:
		return jobs.LevelWarn
	}
}

// outcomeMark is a recorded run's sign: its level's, or for a run still
// going a mark of its own, since it has not succeeded (nor failed) yet.
func (d *doc) outcomeMark(outcome vocab.Outcome) string {
	if outcome == vocab.OutcomeRunning {
		if d.f == HTML {
			return "⏳"
		}
		return "[run] "
	}
	return d.mark(outcomeLevel(outcome))
}
