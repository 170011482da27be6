package render

import (
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// Each outcome's mark in /history and /status: failed and abandoned runs are
// failures, a run still going is shown as running, never as a success.
func TestOutcomeMarks(t *testing.T) {
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		give            string
		wantHTML, wantP string
	}{
		{give: "ok", wantHTML: "✅", wantP: "[ok]  "},
		{give: "warning", wantHTML: "⚠️", wantP: "[warn]"},
		{give: "skipped", wantHTML: "⚠️", wantP: "[warn]"},
		{give: "failed", wantHTML: "🔴", wantP: "[crit]"},
		{give: "abandoned", wantHTML: "🔴", wantP: "[crit]"},
		{give: "running", wantHTML: "⏳", wantP: "[run] "},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			run := vocab.Run{Job: "backup", Trigger: "schedule", StartedAt: at.Add(-time.Hour), Outcome: vocab.Outcome(tt.give)}
			if tt.give != "running" {
				run.EndedAt = at.Add(-50 * time.Minute)
			}
			for f, want := range map[Format]string{HTML: tt.wantHTML, Plain: tt.wantP} {
				h := History(jobs.HistoryReport{At: at, Runs: []vocab.Run{run}}, f)
				if line := strings.Split(h, "\n")[1]; !strings.HasPrefix(line, want+" ") {
					t.Errorf("/history line %q; want the mark %q", line, want)
				}
				if tt.give == "running" {
					continue // /status shows ended runs only
				}
				s := Status(jobs.StatusReport{At: at, LastRuns: map[string]vocab.Run{"backup": run}}, f)
				found := false
				for _, line := range strings.Split(s, "\n") {
					if strings.Contains(line, "backup") && strings.Contains(line, " "+tt.give+" ") {
						found = strings.HasPrefix(line, want+" ")
					}
				}
				if !found {
					t.Errorf("/status does not mark the last %s run with %q:\n%s", tt.give, want, s)
				}
			}
		})
	}
}
