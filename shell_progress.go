package main

import (
	"fmt"
	"io"
	"time"
)

// shellProgressEvery is how often a long shell command prints where it is.
const shellProgressEvery = 3 * time.Second

// shellProgress prints a job's progress on w (stderr: stdout keeps only the
// report, for scripts) at most every shellProgressEvery, so an operator at a
// terminal sees a long backup, restore or cleanup move.
func shellProgress[P any](w io.Writer, line func(P) string) func(P) {
	var last time.Time
	return func(p P) {
		if time.Since(last) >= shellProgressEvery {
			last = time.Now()
			fmt.Fprintln(w, line(p))
		}
	}
}
