package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pgkeeper/pgkeeper/jobs"
)

var (
	backupAgeDesc = prometheus.NewDesc("pgkeeper_backup_last_age_seconds",
		"Age of the newest verified backup, from its start (the snapshot's time).", nil, nil)
	backupSizeDesc = prometheus.NewDesc("pgkeeper_backup_last_size_bytes",
		"Compressed size of the newest verified backup.", nil, nil)
	backupDurationDesc = prometheus.NewDesc("pgkeeper_backup_last_duration_seconds",
		"How long the newest verified backup took, verification included.", nil, nil)
	backupCopyDesc = prometheus.NewDesc("pgkeeper_backup_last_copy_success",
		"1 when BACKUP_COPY_COMMAND copied the newest verified backup off the machine, 0 when it failed; "+
			"absent without a copy command.", nil, nil)
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
	copied   *bool // nil: no copy command ran for it
}

// set records a backup; unless force, one older than the known one is ignored.
func (c *backupCollector) set(m jobs.Manifest, force bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.known && !force && m.Start.Before(c.start) {
		return
	}
	c.known, c.start, c.bytes, c.duration, c.copied = true, m.Start, m.CompressedBytes, m.Duration, nil
	if m.Copy != nil {
		ok := m.Copy.OK
		c.copied = &ok
	}
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
	ch <- backupCopyDesc
}

// Collect implements prometheus.Collector.
func (c *backupCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	known, start, bytes, d, copied := c.known, c.start, c.bytes, c.duration, c.copied
	c.mu.Unlock()
	if !known {
		return
	}
	age := max(c.now().Sub(start), 0)
	ch <- prometheus.MustNewConstMetric(backupAgeDesc, prometheus.GaugeValue, age.Seconds())
	ch <- prometheus.MustNewConstMetric(backupSizeDesc, prometheus.GaugeValue, float64(bytes))
	ch <- prometheus.MustNewConstMetric(backupDurationDesc, prometheus.GaugeValue, d.Seconds())
	if copied != nil {
		v := 0.0
		if *copied {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(backupCopyDesc, prometheus.GaugeValue, v)
	}
}
