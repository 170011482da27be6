package render

import (
	"fmt"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// Watch renders a change of the guarded database's state for the alert chat.
func Watch(ev jobs.WatchEvent, database, host string, f Format) string {
	d := &doc{f: f}
	since := ev.Since.UTC().Format("15:04 UTC")
	if ev.Down {
		d.line(d.mark(jobs.LevelCritical), d.bold("Database unreachable · "+database+" on "+host))
		d.text(fmt.Sprintf("no answer since %s (%d checks in a row): %s", since, ev.Failures, ev.Error))
		d.text("The WhatsApp service cannot save its sessions meanwhile. What to do: check that the server runs " +
			"and accepts connections (disk full, max_connections, a failover). pgkeeper keeps checking and says when it answers again.")
		return d.String()
	}
	d.line(d.mark(jobs.LevelOK), d.bold("Database answers again · "+database+" on "+host))
	d.text(fmt.Sprintf("it was unreachable for %s, since %s. /status shows its state now.", humanize.Duration(ev.Lasted), since))
	return d.String()
}
