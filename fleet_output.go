package main

import (
	"bytes"
	"io"
	"sync"
)

// prefixed writes whole lines to w, each starting with prefix, under mu
// (shared by the writers of every database): several databases' lines
// interleave, but each says which database it is about.
type prefixed struct {
	mu     *sync.Mutex
	w      io.Writer
	prefix string

	own sync.Mutex // guards buf: a job may log from several goroutines
	buf []byte
}

func (p *prefixed) Write(b []byte) (int, error) {
	p.own.Lock()
	defer p.own.Unlock()
	p.buf = append(p.buf, b...)
	i := bytes.LastIndexByte(p.buf, '\n')
	if i < 0 {
		return len(b), nil
	}
	p.emit(p.buf[:i+1])
	p.buf = append(p.buf[:0], p.buf[i+1:]...)
	return len(b), nil
}

// Flush writes what is left of a last line.
func (p *prefixed) Flush() {
	p.own.Lock()
	defer p.own.Unlock()
	if len(p.buf) > 0 {
		p.emit(append(p.buf, '\n'))
		p.buf = p.buf[:0]
	}
}

func (p *prefixed) emit(lines []byte) {
	var out bytes.Buffer
	for _, l := range bytes.SplitAfter(lines, []byte("\n")) {
		if len(l) > 0 {
			out.WriteString(p.prefix)
			out.Write(l)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.w.Write(out.Bytes()) //nolint:errcheck // the terminal's or the pipe's problem, as for fmt.Println
}
