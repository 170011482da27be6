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
	return StatusOverviewHint(o, f, "--db NAME")
}

// StatusOverviewHint is StatusOverview whose footer says how to ask for one
// database's full report (the chat: /status NAME).
func StatusOverviewHint(o jobs.Overview, f Format, hint string) string {
	d := &doc{f: f}
	noun := "databases"
	if len(o.Rows) == 1 {
		noun = "database"
	}
	d.line(d.mark(o.Level()), d.bold(fmt.Sprintf("pgkeeper status · %d %s", len(o.Rows), noun)))
	for _, r := range o.Rows {
		d.line(d.mark(r.Level()), d.code(r.Name)+d.esc(" · "+overviewRow(r)))
	}
	d.b.WriteByte('\n')
	d.text(o.At.UTC().Format("2006-01-02 15:04:05 UTC") + " · the full report of one: " + hint)
	return d.String()
}

func overviewRow(r jobs.OverviewRow) string {
	if r.Error != "" {
		return oneLine(r.Error, 300)
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
		approx := ""
		if s.Keys.SampledPercent > 0 {
			approx = "≈"
		}
		parts = append(parts, "keys expired "+approx+humanize.Int(s.Keys.Expired))
	}
	return strings.Join(parts, " · ")
}

// overviewHealth is the database's reachability, or the report's worst
// finding when it has one.
func overviewHealth(s jobs.StatusReport) string {
	if !s.Database.Reachable {
		return "unreachable: " + oneLine(s.Database.Error, 200)
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

// oneLine keeps a row one line: an error's lines (pgx lists each address
// tried on its own) joined, at most max characters.
func oneLine(s string, max int) string {
	return firstLine(strings.Join(strings.Fields(s), " "), max)
}
