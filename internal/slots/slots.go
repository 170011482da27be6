// Package slots bounds how many heavy jobs run at once on each PostgreSQL
// server (BACKUP_PARALLEL), across that server's databases, within one
// process: the shell's --all and serve's schedules share it.
package slots

import (
	"context"
	"sync"
)

// Servers hands out at most N slots per server (host:port). A nil *Servers
// limits nothing.
type Servers struct {
	n  int
	mu sync.Mutex
	m  map[string]chan struct{}
}

// New is Servers with n slots per server (at least one).
func New(n int) *Servers { return &Servers{n: max(n, 1), m: map[string]chan struct{}{}} }

// Take waits for a free slot on server, or for ctx to end (its error);
// release gives the slot back, once.
func (s *Servers) Take(ctx context.Context, server string) (release func(), err error) {
	if s == nil {
		return func() {}, nil
	}
	s.mu.Lock()
	c := s.m[server]
	if c == nil {
		c = make(chan struct{}, s.n)
		s.m[server] = c
	}
	s.mu.Unlock()
	select {
	case c <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-c }) }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
