// Package backoff spaces out retries: each wait doubles from a first one up
// to a cap, optionally shortened at random so that processes that failed
// together do not retry together.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Backoff is a doubling wait. The zero value never waits; set Min and Max.
// A Backoff is not safe for concurrent use.
type Backoff struct {
	// Min is the first wait; each further Next doubles the last, up to Max
	// (a Max below Min counts as Min).
	Min, Max time.Duration
	// Jitter is the fraction, 0 to 1, of each wait that may be taken off at
	// random; 0: none.
	Jitter float64

	last time.Duration // the last step before jitter; 0: none yet
}

// Next moves one step on and returns how long to wait before the next
// attempt.
func (b *Backoff) Next() time.Duration {
	ceil := max(b.Max, b.Min)
	switch {
	case b.last <= 0:
		b.last = b.Min
	case b.last > ceil/2: // doubling would pass the cap, or overflow
		b.last = ceil
	default:
		b.last = max(2*b.last, b.Min)
	}
	if b.Jitter <= 0 || b.last <= 0 {
		return b.last
	}
	return b.last - rand.N(time.Duration(float64(b.last)*min(b.Jitter, 1))+1)
}

// Reset starts again from Min: the next attempt follows a success.
func (b *Backoff) Reset() { b.last = 0 }
