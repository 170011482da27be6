// Package throttle lets an event through at most once every so often: a
// progress line on a terminal, an edit of a progress message in a chat.
package throttle

import "time"

// Throttle passes at most one event per Every. The zero value passes every
// event; it is not safe for concurrent use (callers hold their own lock).
type Throttle struct {
	Every time.Duration
	last  time.Time
	until time.Time // nothing passes before this (a rate limit's retry-after)
}

// New is a Throttle whose first event passes.
func New(every time.Duration) *Throttle { return &Throttle{Every: every} }

// Allow reports whether an event may pass now, and counts it if so.
func (t *Throttle) Allow() bool {
	now := time.Now()
	if now.Sub(t.last) < t.Every || now.Before(t.until) {
		return false
	}
	t.last = now
	return true
}

// Passed counts an event that went out without asking (the first version of
// a message), so the next one waits a full Every.
func (t *Throttle) Passed() { t.last = time.Now() }

// HoldUntil lets nothing pass before until (Telegram's retry_after).
func (t *Throttle) HoldUntil(until time.Time) { t.until = until }
