package jobs

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// HistoryJobs are the job names a history filter takes, as runs record them.
var HistoryJobs = []string{vocab.JobBackup, vocab.JobRestoreTest, vocab.JobCleanup, vocab.JobCleanupUndo, vocab.JobSummary}

// HistoryOutcomes are the outcome words a history filter takes. "failed"
// takes abandoned runs too: a run whose process died failed all the same.
var HistoryOutcomes = []vocab.Outcome{vocab.OutcomeOK, vocab.OutcomeWarning, vocab.OutcomeFailed, vocab.OutcomeSkipped,
	vocab.OutcomeRunning, vocab.OutcomeAbandoned}

// HistoryFilter picks the runs /history shows: those of one of Jobs with
// one of Outcomes; an empty list takes all.
type HistoryFilter struct {
	Jobs     []string
	Outcomes []vocab.Outcome
}

// Empty reports whether f takes every run.
func (f HistoryFilter) Empty() bool { return len(f.Jobs) == 0 && len(f.Outcomes) == 0 }

// String is f in the words ParseHistoryFilter takes ("" when empty).
func (f HistoryFilter) String() string {
	words := slices.Clone(f.Jobs)
	for _, o := range f.Outcomes {
		words = append(words, string(o))
	}
	return strings.Join(words, " ")
}

// ParseHistoryFilter reads a filter from words separated by spaces or
// commas: job names (HistoryJobs; "-" for "_" works too) and outcomes
// (HistoryOutcomes), in any order and mix. Jobs are or-ed, outcomes are
// or-ed, and both must hold: "backup failed" is the failed backups. An
// unknown word is an error naming it.
func ParseHistoryFilter(s string) (HistoryFilter, error) {
	var f HistoryFilter
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' })
	for _, w := range words {
		w = strings.ReplaceAll(w, "-", "_")
		switch {
		case slices.Contains(HistoryJobs, w):
			if !slices.Contains(f.Jobs, w) {
				f.Jobs = append(f.Jobs, w)
			}
		case slices.Contains(HistoryOutcomes, vocab.Outcome(w)):
			if !slices.Contains(f.Outcomes, vocab.Outcome(w)) {
				f.Outcomes = append(f.Outcomes, vocab.Outcome(w))
			}
		default:
			return HistoryFilter{}, fmt.Errorf("unknown history filter %q", w)
		}
	}
	return f, nil
}

// HistoryQuery is one page of the history: the runs Filter takes, newest
// first, Limit of them after the first Offset.
type HistoryQuery struct {
	Filter        HistoryFilter
	Offset, Limit int
}

// Page returns the runs q asks for, with how many the filter takes in all.
// An offset past the end gives the last page (runs may have gone since the
// page before was shown).
func (h *History) Page(ctx context.Context, q HistoryQuery) (HistoryReport, error) {
	r := HistoryReport{At: h.now(), Filter: q.Filter}
	if h == nil || h.DB == nil {
		return r, ErrNoHistory
	}
	if q.Limit <= 0 {
		q.Limit = 10
	}
	q.Offset = max(q.Offset, 0)
	f := store.RunFilter{Jobs: q.Filter.Jobs, Outcomes: q.Filter.Outcomes}
	if slices.Contains(f.Outcomes, vocab.OutcomeFailed) && !slices.Contains(f.Outcomes, vocab.OutcomeAbandoned) {
		f.Outcomes = append(slices.Clone(f.Outcomes), vocab.OutcomeAbandoned)
	}
	runs, total, err := h.DB.Runs(ctx, h.schema(), f, q.Limit, q.Offset)
	if err == nil && len(runs) == 0 && total > 0 && q.Offset > 0 {
		q.Offset = (total - 1) / q.Limit * q.Limit
		runs, total, err = h.DB.Runs(ctx, h.schema(), f, q.Limit, q.Offset)
	}
	if err != nil {
		return r, fmt.Errorf("history: %w", err)
	}
	r.Runs, r.Total, r.Offset = runs, total, q.Offset
	return r, nil
}
