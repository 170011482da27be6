package render

import (
	"fmt"
	"html"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
)

// What serve tells the alert chat beside the jobs' own reports. HTML only:
// these go nowhere else.

// Waited says that a scheduled run waited for another heavy job; "" under a
// second.
func Waited(waited time.Duration) string {
	if waited < time.Second {
		return ""
	}
	return fmt.Sprintf("⏳ waited %s for another job to finish\n", humanize.Duration(waited))
}

// GaveUp is the alert for a scheduled run that never happened; reason must
// be redacted.
func GaveUp(job, reason string) string {
	return "🔴 <b>Scheduled " + html.EscapeString(job) + " did not run</b>: " + html.EscapeString(reason)
}

// CatchUpNone and CatchUpOld say why a catch-up backup runs at start.
const CatchUpNone = "no verified backup exists"

// CatchUpOld says the newest backup is older than the schedule allows.
func CatchUpOld(age, interval time.Duration) string {
	return fmt.Sprintf("the newest backup is %s old, more than the %s between scheduled backups",
		humanize.Duration(age), humanize.Duration(interval))
}

// CatchUp heads the catch-up backup's report with why it ran.
func CatchUp(why string) string { return "↻ Catch-up backup at start: " + why + ".\n" }

// CleanupHeld hands a held-back scheduled cleanup to a person: why it
// deleted nothing, how long the buttons work, then the preview (HTML).
func CleanupHeld(reason string, buttonsFor time.Duration, preview string) string {
	return "⚠️ <b>Scheduled cleanup deleted nothing</b>: " + html.EscapeString(reason) +
		". An unconfirmed run stops there; an admin decides. The buttons work for " +
		humanize.Duration(buttonsFor) + "; after that, run /cleanup.\n\n" + preview
}

// CleanupHeldNoButtons ends a held-back cleanup's notice when the bot could
// not post the buttons.
const CleanupHeldNoButtons = "\n\nRun /cleanup to review."

// DegradedStart is the alert for a serve that started without its database:
// what is off, what still works, and what to do. reason must be redacted.
func DegradedStart(schema string, waited time.Duration, reason string) string {
	return fmt.Sprintf("⚠️ <b>pgkeeper started without its database</b>: it did not answer for %s (%s).\n"+
		"Off until pgkeeper restarts: the run history (/history, /trends, last runs in /status), "+
		"the outbox that keeps alerts through Telegram outages, and the lock that keeps a second instance "+
		"from running the same scheduled job.\n"+
		"Scheduled jobs still run and report; /status shows the database's state.\n"+
		"What to do: bring the database back, then restart pgkeeper (it prepares schema %s at start).",
		humanize.Duration(waited), html.EscapeString(reason), html.EscapeString(schema))
}

// Degraded is what every /status of a serve that started without its
// database repeats.
const Degraded = "run history, outbox and the two-instance lock are off: " +
	"pgkeeper started while its database was down: restart pgkeeper once the database answers"

// ForDatabase heads a message to the alert chat with the database it is
// about, when serve guards several: one chat hears of them all.
func ForDatabase(name, msg string) string {
	return "🗄 <code>" + html.EscapeString(name) + "</code>\n" + msg
}

// NotGuarded is the alert for a database serve cannot guard at all (its
// server's discovery failed, its name is taken); reason must be redacted.
func NotGuarded(reason string) string {
	return "🔴 <b>Not guarded</b>: " + html.EscapeString(reason) + "\nFix it, then restart pgkeeper serve."
}

// NoLongerFound is the notice for a discovered database its server no
// longer holds: it is not guarded any more.
func NoLongerFound(server string) string {
	return "⚪ <b>No longer found</b> on " + html.EscapeString(server) + ": not guarded any more. Its backups stay where they are."
}
