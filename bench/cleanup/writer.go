package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// upsertSQL is how the live service writes a key (Baileys' keys.set).
const upsertSQL = `INSERT INTO whatsapp_keys (company_id, key_type, key_id, value, updated_at)
VALUES ($1, $2, $3, $4, now())
ON CONFLICT (company_id, key_type, key_id) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`

// value is a pre-key-sized value, the same for every write: the writer's cost
// should be the database's, not the benchmark's.
const value = `{"private": {"type": "Buffer", "data": "kKq2n4n3cLx3bYy2zN0m4cX8r8Yw0bq0hQ1vV0dQ2mE="}, "public": {"type": "Buffer", "data": "BQ3b1vVnJ0oT6l0z3h9kYw2c2mV3bq5s1cS8yT2pX1xR"}}`

type key struct{ company, typ, id string }

// sample is one write: when it was due, how long until it was done (from
// when it was due, so time spent queued behind a blocked writer counts).
type sample struct {
	due time.Time
	lat time.Duration
	err bool
}

// writer upserts keys at a steady rate, open loop: writes are due at fixed
// intervals whether or not earlier ones have finished, as a live service's
// are. 80% rewrite existing keys (old ones among them, which the cleanup
// races for), 20% are new pre-keys.
type writer struct {
	pool    *pgxpool.Pool
	keys    []key
	rate    float64
	workers int

	mu      sync.Mutex
	samples []sample
	wg      sync.WaitGroup
	cancel  context.CancelFunc
}

func startWriter(ctx context.Context, url string, keys []key, rate float64, workers int) (*writer, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns, cfg.MinConns = int32(workers), int32(workers)
	cfg.ConnConfig.RuntimeParams["application_name"] = "bench-writer"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &writer{pool: pool, keys: keys, rate: rate, workers: workers, cancel: cancel}
	due := make(chan time.Time, 1<<20)
	w.wg.Add(1 + workers)
	go func() { // the schedule
		defer w.wg.Done()
		defer close(due)
		start, interval := time.Now(), time.Duration(float64(time.Second)/rate)
		for i := 0; ; i++ {
			t := start.Add(time.Duration(i) * interval)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Until(t)):
				due <- t
			}
		}
	}()
	for n := range workers {
		go w.work(ctx, due, rand.New(rand.NewPCG(uint64(n), 42)), n)
	}
	return w, nil
}

func (w *writer) work(ctx context.Context, due <-chan time.Time, rng *rand.Rand, n int) {
	defer w.wg.Done()
	fresh := 0
	for t := range due {
		k := w.keys[rng.IntN(len(w.keys))]
		if rng.IntN(5) == 0 {
			fresh++
			k = key{company: "company_962301", typ: "pre-key", id: fmt.Sprintf("bench-%d-%d", n, fresh)}
		}
		_, err := w.pool.Exec(ctx, upsertSQL, k.company, k.typ, k.id, value)
		s := sample{due: t, lat: time.Since(t), err: err != nil && ctx.Err() == nil}
		w.mu.Lock()
		w.samples = append(w.samples, s)
		w.mu.Unlock()
	}
}

func (w *writer) stop() {
	w.cancel()
	w.wg.Wait()
	w.pool.Close()
}

// latency is a window's write latencies.
type latency struct {
	n, errs        int
	p50, p99, max  time.Duration
	over100ms      int
	achievedPerSec float64
}

// stats summarizes the writes that were due in [from, to).
func (w *writer) stats(from, to time.Time) latency {
	w.mu.Lock()
	var lats []time.Duration
	var l latency
	for _, s := range w.samples {
		if s.due.Before(from) || !s.due.Before(to) {
			continue
		}
		if s.err {
			l.errs++
		}
		lats = append(lats, s.lat)
		if s.lat > 100*time.Millisecond {
			l.over100ms++
		}
	}
	w.mu.Unlock()
	if len(lats) == 0 {
		return l
	}
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	l.n = len(lats)
	l.p50 = lats[len(lats)/2]
	l.p99 = lats[min(len(lats)-1, len(lats)*99/100)]
	l.max = lats[len(lats)-1]
	l.achievedPerSec = float64(l.n) / to.Sub(from).Seconds()
	return l
}

// sampleKeys picks existing keys for the writer from a page sample: a mix of
// ages, as the live service's writes are.
func sampleKeys(ctx context.Context, conn *pgx.Conn) ([]key, error) {
	rows, err := conn.Query(ctx, `SELECT company_id, key_type, key_id FROM whatsapp_keys TABLESAMPLE SYSTEM (0.5) REPEATABLE (7)`)
	if err != nil {
		return nil, err
	}
	var keys []key
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.company, &k.typ, &k.id); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("no keys to sample")
	}
	return keys, nil
}
