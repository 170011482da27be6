package jobs

import (
	"context"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/chart"
	"github.com/pgkeeper/pgkeeper/store"
)

// TrendWindow is the span /trends and the daily summary draw.
const TrendWindow = 30 * 24 * time.Hour

// TrendsReport is what the trend charts show: the sizes sampled by status
// reports and scheduled runs, and each verified backup's size and duration,
// over the window before At. Times are in Location, so that the charts' dates
// are the operators' (SCHEDULE_TZ).
type TrendsReport struct {
	At      time.Time
	Sizes   []chart.SizePoint
	Backups []chart.BackupPoint
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
func trendPoints(samples []store.Sample, loc *time.Location) ([]chart.SizePoint, []chart.BackupPoint) {
	var sizes []chart.SizePoint
	var backups []chart.BackupPoint
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
				sizes = append(sizes, chart.SizePoint{At: at})
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
				backups = append(backups, chart.BackupPoint{At: at})
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
