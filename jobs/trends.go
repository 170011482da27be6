package jobs

import (
	"context"
	"time"

	"github.com/pgkeeper/pgkeeper/store"
)

// TrendWindow is the span /trends and the daily summary draw.
const TrendWindow = 30 * 24 * time.Hour

// SizePoint is one sample of the database's size and the keys table's. A
// zero DatabaseBytes, or a zero KeysTableBytes, means that figure was not
// measured at At (KeysRows goes with KeysTableBytes: they are sampled
// together); such figures are left out, not drawn as zero.
type SizePoint struct {
	At             time.Time
	DatabaseBytes  int64
	KeysTableBytes int64
	KeysRows       int64
}

// BackupPoint is one verified backup run: when it ran, its compressed size
// and how long it took.
type BackupPoint struct {
	At       time.Time
	Bytes    int64
	Duration time.Duration
}

// TrendsReport is what the trend charts show: the sizes sampled by status
// reports and scheduled runs, and each verified backup's size and duration,
// over the window before At. Times are in Location, so that the charts' dates
// are the operators' (SCHEDULE_TZ).
type TrendsReport struct {
	At      time.Time
	Sizes   []SizePoint
	Backups []BackupPoint
}

// Trends reads the samples of the last TrendWindow from the history.
func (h *History) Trends(ctx context.Context, loc *time.Location) (TrendsReport, error) {
	r := TrendsReport{At: h.now()}
	if loc == nil {
		loc = time.UTC
	}
	samples, err := h.Samples(ctx, r.At.Add(-TrendWindow))
	if err != nil {
		return r, err
	}
	r.Sizes, r.Backups = trendPoints(samples, loc)
	return r, nil
}

// trendPoints groups samples taken at one instant into one point: a status
// report samples the database and the keys table together, a backup its size
// and duration (and the database's size, which joins the size points).
func trendPoints(samples []store.Sample, loc *time.Location) ([]SizePoint, []BackupPoint) {
	var sizes []SizePoint
	var backups []BackupPoint
	sizeAt := map[time.Time]int{}
	backupAt := map[time.Time]int{}
	for _, s := range samples {
		at := s.At.In(loc)
		key := s.At.UTC()
		switch s.Metric {
		case store.MetricDatabaseBytes, store.MetricKeysTableBytes, store.MetricKeysRows:
			i, ok := sizeAt[key]
			if !ok {
				i = len(sizes)
				sizeAt[key] = i
				sizes = append(sizes, SizePoint{At: at})
			}
			p := &sizes[i]
			switch s.Metric {
			case store.MetricDatabaseBytes:
				p.DatabaseBytes = s.Value
			case store.MetricKeysTableBytes:
				p.KeysTableBytes = s.Value
			default:
				p.KeysRows = s.Value
			}
		case store.MetricBackupBytes, store.MetricBackupMillis:
			i, ok := backupAt[key]
			if !ok {
				i = len(backups)
				backupAt[key] = i
				backups = append(backups, BackupPoint{At: at})
			}
			if s.Metric == store.MetricBackupBytes {
				backups[i].Bytes = s.Value
			} else {
				backups[i].Duration = time.Duration(s.Value) * time.Millisecond
			}
		}
	}
	return sizes, backups
}
