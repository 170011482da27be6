package main

import (
	"context"
	"errors"
	"net"
	"sync"

	"github.com/pgkeeper/pgkeeper/internal/metrics"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// The metrics' gauges take jobs' reports as they are recorded.
var _ jobs.Observer = (*metrics.Metrics)(nil)

// startMetrics serves /healthz, /readyz and /metrics on HTTP_ADDR, when it is
// set, until ctx ends. It listens before returning, so that a port already in
// use stops serve at start rather than going unnoticed; the gauges are fed by
// the run history's observer and seeded from what is already known.
// It returns the address it listens on (nil when HTTP_ADDR is empty).
func (a *app) startMetrics(ctx context.Context, wg *sync.WaitGroup) (net.Addr, error) {
	if a.cfg.HTTPAddr == "" {
		return nil, nil
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", a.cfg.HTTPAddr)
	if err != nil {
		return nil, err
	}
	m := a.observe()
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := m.ServeListener(ctx, ln, a.ready); err != nil {
			a.log.Error("metrics server stopped", "err", err)
		}
	}()
	go func() {
		defer wg.Done()
		a.seedMetrics(ctx, m)
	}()
	a.log.Info("serving /healthz, /readyz and /metrics", "addr", ln.Addr().String())
	return ln.Addr(), nil
}

// observe makes the metrics and hooks them to the run history, so that
// every recorded run and status report updates them.
func (a *app) observe() *metrics.Metrics {
	m := metrics.New()
	m.Redactor = a.red
	if a.hist != nil {
		a.hist.Observer = m
	}
	return m
}

// ready is /readyz: pgkeeper can work when the guarded database answers.
func (a *app) ready(ctx context.Context) error {
	_, err := a.db.Ping(ctx)
	return err
}

// seedMetrics fills the gauges from what exists before any job runs in this
// process: each job's last run from the history, the newest backup and
// restore test from the backup directory, and sizes from a status report. A
// fresh process then shows real values, not an empty page.
func (a *app) seedMetrics(ctx context.Context, m *metrics.Metrics) {
	if runs, err := a.hist.LastRuns(ctx); err == nil {
		for _, r := range runs {
			ok := r.Outcome == vocab.OutcomeOK || r.Outcome == vocab.OutcomeWarning
			m.ObserveJob(r.Job, ok, r.Duration(), r.EndedAt)
		}
	} else if !errors.Is(err, jobs.ErrNoHistory) {
		a.log.Warn("metrics: cannot read the run history", "err", a.red.Error(err))
	}
	if l, err := a.catalog().List(ctx); err == nil {
		list := l.Backups
		if len(list) > 0 {
			m.ObserveBackup(list[0])
		}
		if p, b := lastRestoreTest(list); p != nil {
			m.ObserveRestore(p.RTO, p.At.Sub(b.Start))
		}
	}
	// The status report measures sizes and key ages, and through the
	// history's observer sets them (with the backup, authoritatively).
	st := a.statusJob()
	r := st.Run(ctx)
	if a.hist == nil {
		m.ObserveStatus(r)
	}
}

// lastRestoreTest is the newest passed restore test among backups, and the
// backup it restored (its RPO is the backup's age when tested).
func lastRestoreTest(list []jobs.Manifest) (*jobs.RestoreProof, *jobs.Manifest) {
	var proof *jobs.RestoreProof
	var from *jobs.Manifest
	for i := range list {
		for j := range list[i].RestoreTests {
			p := &list[i].RestoreTests[j]
			if p.OK && (proof == nil || p.At.After(proof.At)) {
				proof, from = p, &list[i]
			}
		}
	}
	return proof, from
}
