// Package metrics exposes pgkeeper's state to Prometheus: the newest verified
// backup, each job's last run, the last restore test, table sizes and key
// ages, plus the /healthz and /readyz probes (see Serve).
//
// Its setters take plain values and report types, so that the jobs know
// nothing of Prometheus and this package nothing of how the figures are made.
package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pgkeeper/pgkeeper/internal/redact"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// BucketLabels are the values of the bucket label of pgkeeper_keys_by_age, in
// the order of store.KeyAges.Buckets (<1 d, 1–7 d, 7–14 d, 14–30 d, >30 d).
// They are plain words so that PromQL selectors need no escaping.
var BucketLabels = [5]string{"lt_1d", "1d_7d", "7d_14d", "14d_30d", "gt_30d"}

// Metrics holds pgkeeper's gauges in a registry of its own: the global one
// would mix in whatever a library registers there, and tests could not run
// side by side. Its methods are safe for concurrent use.
type Metrics struct {
	// Now is the clock the backup's age is measured with; nil means time.Now.
	// Set it before the first scrape.
	Now func() time.Time
	// Redactor masks secrets in the reason /readyz gives; nil masks URL
	// passwords only. Set it before Serve.
	Redactor *redact.Redactor

	reg          *prometheus.Registry  // what Handler serves
	into         prometheus.Registerer // where the gauges are: reg, or a database's view of a Fleet's
	collectors   []prometheus.Collector
	backup       *backupCollector
	readyTimeout time.Duration // ReadyTimeout; shorter in tests

	dbBytes     *prometheus.GaugeVec
	jobSuccess  *prometheus.GaugeVec
	jobDuration *prometheus.GaugeVec
	jobRunAt    *prometheus.GaugeVec
	restoreRTO  *prometheus.GaugeVec
	restoreRPO  *prometheus.GaugeVec
	tableBytes  *prometheus.GaugeVec
	tableRows   *prometheus.GaugeVec
	keysByAge   *prometheus.GaugeVec
	up          *prometheus.GaugeVec // a Fleet's database only: see ObserveUp
	remote      *remoteMetrics

	remoteMu    sync.Mutex           // orders the moves of remoteLast
	remoteLast  map[string]time.Time // each remote's newest verified copy known
	mu          sync.Mutex           // orders ObserveStatus's reset-and-set of the table gauges
	runtimeOnce sync.Once
}

// New returns Metrics with every gauge registered and none set: a series
// appears once something has been observed, so that "never measured" is not
// exported as a misleading zero.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	return newIn(reg, reg)
}

// newIn is New with the gauges registered into into, and reg served.
func newIn(reg *prometheus.Registry, into prometheus.Registerer) *Metrics {
	m := &Metrics{reg: reg, into: into, readyTimeout: ReadyTimeout}
	m.backup = &backupCollector{now: m.now}
	// Even the unlabelled gauges are vectors (of no label): a plain Gauge is
	// exported as 0 from the start, a vector only once a value is set.
	gauge := func(name, help string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, nil)
	}
	vec := func(name, help, label string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, []string{label})
	}
	m.dbBytes = gauge("pgkeeper_database_size_bytes", "Size of the guarded database at the last status report.")
	m.jobSuccess = vec("pgkeeper_job_last_success", "1 if the job's last run succeeded, else 0.", "job")
	m.jobDuration = vec("pgkeeper_job_last_duration_seconds", "How long the job's last run took.", "job")
	m.jobRunAt = vec("pgkeeper_job_last_run_timestamp_seconds", "When the job last ran, as a Unix time.", "job")
	m.restoreRTO = gauge("pgkeeper_restore_test_rto_seconds", "Recovery time of the last restore test: how long the restore took.")
	m.restoreRPO = gauge("pgkeeper_restore_test_rpo_seconds",
		"Recovery point of the last restore test: how old the restored data was.")
	m.tableBytes = vec("pgkeeper_table_total_bytes", "Table size with indexes and TOAST, at the last status report.", "table")
	m.tableRows = vec("pgkeeper_table_rows_estimate",
		"Table row count (exact for small tables, the catalog's estimate for large ones).", "table")
	m.keysByAge = vec("pgkeeper_keys_by_age",
		"Rows of the keys table by age bucket (scaled from a sample for large tables).", "bucket")
	m.remote = newRemoteMetrics()
	m.collectors = append([]prometheus.Collector{m.backup, m.dbBytes, m.jobSuccess, m.jobDuration, m.jobRunAt,
		m.restoreRTO, m.restoreRPO, m.tableBytes, m.tableRows, m.keysByAge}, m.remote.collectors()...)
	into.MustRegister(m.collectors...)
	return m
}

// Registry is the registry /metrics serves, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

func (m *Metrics) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// ObserveStatus records what a status report measured: the newest verified
// backup, the database and table sizes, and the keys' age buckets. Figures
// the report could not read are removed rather than left at their last
// value, so that a dashboard never shows a stale size as current.
func (m *Metrics) ObserveStatus(r jobs.StatusReport) {
	// The report lists the backup directory, so it is authoritative: it may
	// replace a newer backup that has since been removed by hand.
	if b := r.LastBackup; b != nil {
		m.backup.set(*b, true)
	} else {
		m.backup.clear()
	}
	m.observeRemoteStatus(r)
	m.ObserveUp(r.Database.Reachable)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dbBytes.Reset()
	if r.Database.Reachable && r.Database.SizeBytes > 0 {
		m.dbBytes.WithLabelValues().Set(float64(r.Database.SizeBytes))
	}
	m.tableBytes.Reset()
	m.tableRows.Reset()
	for _, t := range r.Tables {
		if t.Error != "" {
			continue
		}
		name := t.Table.String()
		m.tableBytes.WithLabelValues(name).Set(float64(t.TotalBytes))
		m.tableRows.WithLabelValues(name).Set(float64(t.Rows))
	}
	m.keysByAge.Reset()
	if r.Keys.Checked {
		for i, n := range r.Keys.Buckets {
			m.keysByAge.WithLabelValues(BucketLabels[i]).Set(float64(n))
		}
	}
}

// ObserveBackup records a verified backup as the newest one, when it is not
// older than the one already known: a backup job's report can then update the
// gauges at once, without waiting for the next status report.
func (m *Metrics) ObserveBackup(b jobs.Manifest) {
	m.backup.set(b, false)
}

// ObserveJob records a job's run: whether it succeeded, how long it took and
// when it ran (its end, preferably; at is exported as a Unix time).
func (m *Metrics) ObserveJob(job string, ok bool, took time.Duration, at time.Time) {
	success := 0.0
	if ok {
		success = 1
	}
	m.jobSuccess.WithLabelValues(job).Set(success)
	m.jobDuration.WithLabelValues(job).Set(took.Seconds())
	m.jobRunAt.WithLabelValues(job).Set(float64(at.UnixNano()) / 1e9)
}

// ObserveRestore records the last restore test's recovery time (RTO) and
// recovery point (RPO).
func (m *Metrics) ObserveRestore(rto, rpo time.Duration) {
	m.restoreRTO.WithLabelValues().Set(rto.Seconds())
	m.restoreRPO.WithLabelValues().Set(rpo.Seconds())
}
