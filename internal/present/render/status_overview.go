package render

import (
	"fmt"
	"strings"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// StatusOverview renders one line per database, worst first: health, the
// newest backup's age, the last restore test, the keys expired.
func StatusOverview(o jobs.Overview, f Format) string {
	d := &doc{f: f}
	d.line(d.mark(o.Level()), d.bold(fmt.Sprintf("pgkeeper status · %d databases", len(o.Rows))))
	for _, r := range o.Rows {
		d.line(d.mark(r.Level()), d.code(r.Name)+d.esc(" · "+overviewRow(r)))
	}
	d.b.WriteByte('\n')
	d.text(o.At.UTC().Format("2006-01-02 15:04:05 UTC") + " · the full report of one: --db NAME")
	return d.String()
}

func overviewRow(r jobs.OverviewRow) string {
	if r.Error != "" {
		return r.Error
	}
	s := r.Report
	parts := []string{overviewHealth(s)}
	if b := s.LastBackup; b != nil {
		parts = append(parts, "newest backup "+humanize.Duration(s.At.Sub(b.Start))+" ago")
	} else {
		parts = append(parts, "no verified backup")
	}
	if run, ok := s.LastRuns[vocab.JobRestoreTest]; ok {
		parts = append(parts, fmt.Sprintf("restore test %s %s ago", run.Outcome, humanize.Duration(s.At.Sub(run.EndedAt))))
	} else {
		parts = append(parts, "no restore test")
	}
	if s.Keys.Checked {
		parts = append(parts, "keys expired "+humanize.Int(s.Keys.Expired))
	}
	return strings.Join(parts, " · ")
}

// overviewHealth is the database's reachability, or the report's worst
// finding when it has one.
func overviewHealth(s jobs.StatusReport) string {
	if !s.Database.Reachable {
		return "unreachable: " + firstLine(s.Database.Error, 120)
	}
	worst := jobs.Finding{}
	for _, f := range s.Findings {
		if f.Level > worst.Level {
			worst = f
		}
	}
	if worst.Text == "" {
		return "healthy"
	}
	more := ""
	if n := len(s.Findings); n > 1 {
		more = fmt.Sprintf(" (+%d more)", n-1)
	}
	return firstLine(worst.Text, 120) + more
}
