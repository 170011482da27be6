// Package jobs holds pgkeeper's work: status now, backups, restore tests and
// cleanups later. A job takes a context and options and returns a report
// value; it knows nothing of Telegram or the shell that render it.
package jobs

// Level grades a finding, and a whole report by its worst finding.
type Level int

// Levels, from good to bad. Their order matters: a report's level is the max.
const (
	LevelOK Level = iota
	LevelWarn
	LevelCritical
)

// String is the level's name for logs and plain text.
func (l Level) String() string {
	switch l {
	case LevelOK:
		return "ok"
	case LevelWarn:
		return "warning"
	default:
		return "critical"
	}
}

// Finding is one thing a report says is off, and what to do about it.
type Finding struct {
	Level Level
	Text  string
}
