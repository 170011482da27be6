package service

import (
	"context"
	"errors"
	"net"
	"sync"

	"github.com/pgkeeper/pgkeeper/internal/present/metrics"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// The metrics' gauges take jobs' reports as they are recorded.
var _ jobs.Observer = (*metrics.Metrics)(nil)

// StartMetrics serves /healthz, /readyz and /metrics on HTTP_ADDR, when it is
// set, until ctx ends; wg counts its goroutines. It listens before
// returning, so that a port already in use stops serve at start rather than
// going unnoticed; the gauges are fed by the run history's observer and
// seeded from what is already known. It returns the address it listens on
// (nil when HTTP_ADDR is empty). Call it before anything runs, so that the
// metrics hear of every run.
func (s *Service) StartMetrics(ctx context.Context, wg *sync.WaitGroup) (net.Addr, error) {
	if s.Config.HTTPAddr == "" {
		return nil, nil
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.Config.HTTPAddr)
	if err != nil {
		return nil, err
	}
	m := metrics.New()
	m.Redactor = s.Redactor
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := m.ServeListener(ctx, ln, s.ready); err != nil {
			s.Logger.Error("metrics server stopped", "err", err)
		}
	}()
	s.FeedMetrics(ctx, wg, m)
	s.Logger.Info("serving /healthz, /readyz and /metrics", "addr", ln.Addr().String())
	return ln.Addr(), nil
}

// FeedMetrics hooks m to the run history, so that every recorded run and
// status report updates it, and seeds it in a goroutine wg counts. A serve
// of several databases feeds each one's Metrics (of a metrics.Fleet) so,
// serving them itself. Call it before anything runs.
func (s *Service) FeedMetrics(ctx context.Context, wg *sync.WaitGroup, m *metrics.Metrics) {
	s.metrics = m
	if s.History != nil {
		s.History.Observer = m
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.seedMetrics(ctx, m)
	}()
}

// ready is /readyz: pgkeeper can work when the guarded database answers.
func (s *Service) ready(ctx context.Context) error {
	_, err := s.DB.Ping(ctx)
	return err
}

// seedMetrics fills the gauges from what exists before any job runs in this
// process: each job's last run from the history, the newest backup and
// restore test from the backup directory, and sizes from a status report. A
// fresh process then shows real values, not an empty page.
func (s *Service) seedMetrics(ctx context.Context, m *metrics.Metrics) {
	if runs, err := s.History.LastRuns(ctx); err == nil {
		for _, r := range runs {
			ok := r.Outcome == vocab.OutcomeOK || r.Outcome == vocab.OutcomeWarning
			m.ObserveJob(r.Job, ok, r.Duration(), r.EndedAt)
		}
	} else if !errors.Is(err, jobs.ErrNoHistory) {
		s.Logger.Warn("metrics: cannot read the run history", "err", s.Redactor.Error(err))
	}
	l, err := s.Jobs.Catalog.List(ctx)
	if err == nil {
		list := l.Backups
		if len(list) > 0 {
			m.ObserveBackup(list[0])
		}
		if p, b := lastRestoreTest(list); p != nil {
			m.ObserveRestore(p.RTO, p.At.Sub(b.Start))
		}
	}
	// Each remote's series from the local records; the status report below
	// corrects them from the buckets themselves.
	for _, spec := range s.Jobs.Status.Config.Remotes {
		m.SeedRemote(spec.Name, newestCopy(l.Backups, spec.Name))
	}
	// The status report measures sizes and key ages, and through the
	// history's observer sets them (with the backup, authoritatively).
	r := s.Jobs.Status.Run(ctx)
	if s.History == nil {
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

// newestCopy is the newest verified copy on the named remote that the
// backups (newest first) record; nil when none does.
func newestCopy(list []jobs.Manifest, remote string) *jobs.RemoteCopy {
	for _, m := range list {
		if c, ok := m.CopyOn(remote); ok && c.Verified {
			return &c
		}
	}
	return nil
}
