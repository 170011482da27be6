package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pgkeeper/pgkeeper/jobs"
)

// remoteMetrics are the off-site copies' series, one of each per remote,
// labelled by the remote's name (BACKUP_REMOTES).
type remoteMetrics struct {
	lastSuccessAt *prometheus.GaugeVec
	lastOK        *prometheus.GaugeVec
	bytes         *prometheus.GaugeVec
	duration      *prometheus.GaugeVec
	failures      *prometheus.CounterVec
}

func newRemoteMetrics() *remoteMetrics {
	vec := func(name, help string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, []string{"remote"})
	}
	return &remoteMetrics{
		lastSuccessAt: vec("pgkeeper_remote_last_success_timestamp_seconds",
			"When the newest verified copy on the remote was made, as a Unix time."),
		lastOK: vec("pgkeeper_remote_last_success",
			"1 if the last backup run's copy reached the remote and was verified there, else 0."),
		bytes: vec("pgkeeper_remote_last_bytes",
			"Bytes the last backup run sent to the remote (ciphertext when encrypted)."),
		duration: vec("pgkeeper_remote_last_duration_seconds",
			"Time the last backup run spent on the remote: upload, check and retention."),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pgkeeper_remote_failures_total",
			Help: "Backup runs whose copy did not reach the remote, since this process started."}, []string{"remote"}),
	}
}

func (r *remoteMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{r.lastSuccessAt, r.lastOK, r.bytes, r.duration, r.failures}
}

// ObserveRemotes records what one backup run did on each remote: a copy
// verified there moves the remote's last success; a failure counts.
func (m *Metrics) ObserveRemotes(at time.Time, outcomes []jobs.RemoteOutcome) {
	for _, o := range outcomes {
		r := m.remote
		r.bytes.WithLabelValues(o.Remote).Set(float64(o.Bytes))
		r.duration.WithLabelValues(o.Remote).Set(o.Duration.Seconds())
		if !o.OK() {
			r.lastOK.WithLabelValues(o.Remote).Set(0)
			r.failures.WithLabelValues(o.Remote).Inc()
			continue
		}
		r.lastOK.WithLabelValues(o.Remote).Set(1)
		r.failures.WithLabelValues(o.Remote)
		when := at
		if o.Copy != nil && !o.Copy.At.IsZero() {
			when = o.Copy.At
		}
		m.remoteSucceeded(o.Remote, when)
	}
}

// SeedRemote starts a configured remote's series at process start: its
// failure counter at 0 (so that rate() and increase() see the first
// failure), and, when newest is a verified copy already known, its time.
func (m *Metrics) SeedRemote(name string, newest *jobs.RemoteCopy) {
	m.remote.failures.WithLabelValues(name)
	if newest != nil && newest.Verified {
		m.remoteSucceeded(name, newest.At)
	}
}

// remoteSucceeded moves name's last success to at, never back: a status
// report's listing or a seed may know an older copy than a run just made.
func (m *Metrics) remoteSucceeded(name string, at time.Time) {
	m.remoteMu.Lock()
	defer m.remoteMu.Unlock()
	if m.remoteLast == nil {
		m.remoteLast = map[string]time.Time{}
	}
	if last, ok := m.remoteLast[name]; ok && !at.After(last) {
		return
	}
	m.remoteLast[name] = at
	m.remote.lastSuccessAt.WithLabelValues(name).Set(float64(at.UnixNano()) / 1e9)
}

// observeRemoteStatus takes each remote's newest verified copy from a status
// report, when it was read from the bucket itself.
func (m *Metrics) observeRemoteStatus(r jobs.StatusReport) {
	for _, rs := range r.Remotes {
		if rs.Newest != nil && rs.Listed {
			if c, ok := rs.Newest.CopyOn(rs.Name); ok {
				m.remoteSucceeded(rs.Name, c.At)
			}
		}
	}
}
