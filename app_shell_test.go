package main

import (
	"bytes"
	"strings"
	"testing"
)

// A burst of progress reports prints the first and nothing more until
// shellProgressEvery has passed.
func TestShellProgressThrottles(t *testing.T) {
	var out bytes.Buffer
	p := shellProgress(&out, func(n int) string { return "step " + string(rune('0'+n)) })
	for n := range 5 {
		p(n)
	}
	if got := strings.TrimSpace(out.String()); got != "step 0" {
		t.Fatalf("printed %q, want only the first step", got)
	}
}
