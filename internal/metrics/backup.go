package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	backupAgeDesc = prometheus.NewDesc("pgkeeper_backup_last_age_seconds",
		"Age of the newest verified backup, from its start (the snapshot's time).", nil, nil)
	backupSizeDesc = prometheus.NewDesc("pgkeeper_backup_last_size_bytes",
		"Compressed size of the newest verified backup.", nil, nil)
	backupDurationDesc = prometheus.NewDesc("pgkeeper_backup_last_duration_seconds",
		"How long the newest verified backup took, verification included.", nil, nil)
)

// backupCollector exports the newest verified backup. It is a collector
// rather than three gauges because the age must be computed at scrape time:
// a gauge set at the last status report would stop ageing between reports,
// and a missed backup would never cross the alert's threshold. Until a backup
// is known it exports nothing, so that "none yet" is not a fresh age of 0.
type backupCollector struct {
	now func() time.Time

	mu       sync.Mutex
	known    bool
	start    time.Time
	bytes    int64
	duration time.Duration
}

// set records a backup; unless force, one older than the known one is ignored.
func (c *backupCollector) set(start time.Time, bytes int64, d time.Duration, force bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.known && !force && start.Before(c.start) {
		return
	}
	c.known, c.start, c.bytes, c.duration = true, start, bytes, d
}

func (c *backupCollector) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.known = false
}

// Describe implements prometheus.Collector.
func (c *backupCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- backupAgeDesc
	ch <- backupSizeDesc
	ch <- backupDurationDesc
}

// Collect implements prometheus.Collector.
func (c *backupCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	known, start, bytes, d := c.known, c.start, c.bytes, c.duration
	c.mu.Unlock()
	if !known {
		return
	}
	age := max(c.now().Sub(start), 0)
	ch <- prometheus.MustNewConstMetric(backupAgeDesc, prometheus.GaugeValue, age.Seconds())
	ch <- prometheus.MustNewConstMetric(backupSizeDesc, prometheus.GaugeValue, float64(bytes))
	ch <- prometheus.MustNewConstMetric(backupDurationDesc, prometheus.GaugeValue, d.Seconds())
}
