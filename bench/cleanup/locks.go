package main

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// lockWait is one lock wait seen by the sampler: who waited, and the longest
// it was seen waiting.
type lockWait struct {
	app   string
	start time.Time
	wait  time.Duration
}

// lockSampler reads pg_locks every 10 ms for waiting backends (waitstart is
// PostgreSQL 14+) and keeps each wait's longest observed duration: a wait
// shorter than the interval may be missed, and is shown instead by the
// writer's latency.
type lockSampler struct {
	mu     sync.Mutex
	waits  map[string]*lockWait // by pid and waitstart
	wg     sync.WaitGroup
	cancel context.CancelFunc
	conn   *pgx.Conn
}

func startLockSampler(ctx context.Context, url string) (*lockSampler, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.RuntimeParams["application_name"] = "bench-lock-sampler"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &lockSampler{waits: map[string]*lockWait{}, cancel: cancel, conn: conn}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.sample(ctx)
			}
		}
	}()
	return s, nil
}

func (s *lockSampler) sample(ctx context.Context) {
	rows, err := s.conn.Query(ctx, `
		SELECT l.pid::text || '@' || l.waitstart::text, a.application_name, l.waitstart, clock_timestamp() - l.waitstart
		FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE NOT l.granted AND l.waitstart IS NOT NULL`)
	if err != nil {
		return
	}
	defer rows.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for rows.Next() {
		var id, app string
		var start time.Time
		var wait time.Duration
		if rows.Scan(&id, &app, &start, &wait) != nil {
			return
		}
		w := s.waits[id]
		if w == nil {
			w = &lockWait{app: app, start: start}
			s.waits[id] = w
		}
		w.wait = max(w.wait, wait)
	}
}

func (s *lockSampler) stop() {
	s.cancel()
	s.wg.Wait()
	s.conn.Close(context.Background())
}

// lockStats is the longest wait per application, and how many waits of each
// passed 100 ms, among waits that began in [from, to).
func (s *lockSampler) stats(from, to time.Time) (longest map[string]time.Duration, over100ms map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	longest, over100ms = map[string]time.Duration{}, map[string]int{}
	for _, w := range s.waits {
		if w.start.Before(from) || !w.start.Before(to) {
			continue
		}
		longest[w.app] = max(longest[w.app], w.wait)
		if w.wait > 100*time.Millisecond {
			over100ms[w.app]++
		}
	}
	return longest, over100ms
}
