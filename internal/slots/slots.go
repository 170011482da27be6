// Package slots bounds how many heavy jobs run at once on each PostgreSQL
// server (BACKUP_PARALLEL), across that server's databases: within one
// process (the shell's --all and serve's schedules share it), and, with
// TakeAcross, across every process that takes the server's own slots.
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
	// Warn is told, once per server, why its slots count for this process
	// alone (TakeAcross's across failed); nil: nobody.
	Warn   func(server string, err error)
	warned map[string]bool
}

// New is Servers with n slots per server (at least one).
func New(n int) *Servers {
	return &Servers{n: max(n, 1), m: map[string]chan struct{}{}, warned: map[string]bool{}}
}

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

// Across waits for one of a server's n slots shared by every process (the
// server's advisory locks, in store), or for ctx to end.
type Across func(ctx context.Context, n int) (release func(), err error)

// TakeAcross is Take, then one of the server's own slots from across, so
// that several processes together keep to N. When across fails for another
// reason than ctx (the server's maintenance database is out of reach),
// this process's slot alone is held: a heavy job is never refused for it,
// and Warn hears why, once per server. A nil *Servers or across is Take.
func (s *Servers) TakeAcross(ctx context.Context, server string, across Across) (release func(), err error) {
	local, err := s.Take(ctx, server)
	if err != nil || s == nil || across == nil {
		return local, err
	}
	wide, err := across(ctx, s.n)
	if err != nil {
		if ctx.Err() != nil {
			local()
			return nil, ctx.Err()
		}
		s.warnOnce(server, err)
		return local, nil
	}
	return func() { wide(); local() }, nil
}

func (s *Servers) warnOnce(server string, err error) {
	s.mu.Lock()
	first := !s.warned[server]
	s.warned[server] = true
	s.mu.Unlock()
	if first && s.Warn != nil {
		s.Warn(server, err)
	}
}
