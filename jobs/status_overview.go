package jobs

import (
	"cmp"
	"slices"
	"time"
)

// Overview is the status of every database guarded (#14): one row each,
// from the status job each database runs on its own.
type Overview struct {
	At   time.Time
	Rows []OverviewRow
}

// OverviewRow is one database's status, or why it has none (its server's
// discovery failed, its name collides).
type OverviewRow struct {
	Name   string
	Report StatusReport // zero when Error is set
	Error  string       // the database could not be looked at: critical
}

// Level is the row's worst: its report's, critical when it has none.
func (r OverviewRow) Level() Level {
	if r.Error != "" {
		return LevelCritical
	}
	return r.Report.Level()
}

// NewOverview orders rows worst first, then by name.
func NewOverview(at time.Time, rows []OverviewRow) Overview {
	rows = slices.Clone(rows)
	slices.SortStableFunc(rows, func(a, b OverviewRow) int {
		return cmp.Or(cmp.Compare(b.Level(), a.Level()), cmp.Compare(a.Name, b.Name))
	})
	return Overview{At: at, Rows: rows}
}

// Level is the worst row's level.
func (o Overview) Level() Level {
	l := LevelOK
	for _, r := range o.Rows {
		l = max(l, r.Level())
	}
	return l
}
