package main

import (
	"fmt"
	"io"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/throttle"
)

// shellProgressEvery is how often a long shell command prints where it is.
const shellProgressEvery = 3 * time.Second

// shellProgress prints a job's progress on w (stderr: stdout keeps only the
// report, for scripts) at most every shellProgressEvery, so an operator at a
// terminal sees a long backup, restore or cleanup move.
func shellProgress[P any](w io.Writer, line func(P) string) func(P) {
	t := throttle.New(shellProgressEvery)
	return func(p P) {
		if t.Allow() {
			fmt.Fprintln(w, line(p))
		}
	}
}
