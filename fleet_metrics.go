package main

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/pgkeeper/pgkeeper/internal/present/metrics"
)

// serveMetrics answers /healthz, /readyz and /metrics on HTTP_ADDR for every
// database guarded, until ctx ends (f.wg counts it). It listens before
// returning, so that a port already in use stops serve at start.
func (f *fleet) serveMetrics(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", f.cfg.HTTPAddr)
	if err != nil {
		return err
	}
	f.metrics = metrics.NewFleet()
	f.metrics.Redactor = f.state.red
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		if err := f.metrics.ServeListener(ctx, ln, f.ready); err != nil {
			f.state.log.Error("metrics server stopped", "err", err)
		}
	}()
	f.state.log.Info("serving /healthz, /readyz and /metrics", "addr", ln.Addr().String())
	return nil
}

// ready is /readyz with several databases: the instance can work once every
// database found at start is guarded (the chat runs) and the state database,
// which holds the outbox of alerts, answers. A guarded database that is down
// does not make the instance unready: restarting would not bring it back,
// and its metrics and the chat say so.
func (f *fleet) ready(ctx context.Context) error {
	if f.chat.Load() == nil {
		return errors.New("starting: not every database is guarded yet")
	}
	if _, err := f.state.db.Ping(ctx); err != nil {
		return fmt.Errorf("state database %s: %w", f.state.db.Database(), err)
	}
	return nil
}

// measure is the Metrics of database name from now on; nil when HTTP_ADDR
// is not set. Called with f.mu held, as unmeasure.
func (f *fleet) measure(name string) *metrics.Metrics {
	if f.metrics == nil {
		return nil
	}
	return f.metrics.Database(name)
}

// unmeasure takes database name's series off /metrics: it is no longer
// guarded, and its last figures would read as current.
func (f *fleet) unmeasure(name string) {
	if f.metrics != nil {
		f.metrics.Drop(name)
	}
}
