package service

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
)

// Every scheduled run, failed ones too, leaves a size point for the trend
// charts, with the figures the database gives at that moment; an attempt that
// found another heavy job running did not run and leaves none.
func TestScheduledRunsSampleSizes(t *testing.T) {
	tests := []struct {
		name     string
		run      func(a *Service) func(context.Context, time.Duration) error
		noSample bool // the attempt did not run
	}{
		{"backup", func(a *Service) func(context.Context, time.Duration) error {
			return a.scheduledBackup("")
		}, false},
		{"cleanup", func(a *Service) func(context.Context, time.Duration) error {
			return a.scheduledCleanup
		}, false},
		{"restore test without a backup (fails)", func(a *Service) func(context.Context, time.Duration) error {
			return a.scheduledRestoreTest
		}, false},
		{"a run that errors", func(*Service) func(context.Context, time.Duration) error {
			return func(context.Context, time.Duration) error { return errors.New("boom") }
		}, false},
		{"an attempt that waits for another heavy job", func(*Service) func(context.Context, time.Duration) error {
			return func(context.Context, time.Duration) error { return jobs.ErrAlreadyRunning }
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := serveService(t, map[string]string{"NOTIFY_SUCCESS": "off"})
			ctx := t.Context()
			since := time.Now().Add(-time.Second)
			_ = a.sampled(tt.run(a))(ctx, 0)
			got, err := a.History.Samples(ctx, since)
			if err != nil {
				t.Fatal(err)
			}
			if tt.noSample {
				if len(got) != 0 {
					t.Errorf("%d samples after an attempt that did not run: %+v", len(got), got)
				}
				return
			}
			last := map[string]int64{}
			for _, s := range got {
				last[s.Metric] = s.Value
			}
			url := a.Config.DatabaseURL
			want := map[string]int64{
				store.MetricDatabaseBytes:  pgtest.QueryInt(t, url, "SELECT pg_database_size(current_database())"),
				store.MetricKeysTableBytes: pgtest.QueryInt(t, url, "SELECT pg_total_relation_size('whatsapp_keys')"),
				store.MetricKeysRows:       pgtest.QueryInt(t, url, "SELECT count(*) FROM whatsapp_keys"),
			}
			for metric, w := range want {
				v, ok := last[metric]
				switch {
				case !ok:
					t.Errorf("no %s sample after the run; samples: %+v", metric, got)
				case metric == store.MetricDatabaseBytes && (v < w*9/10 || v > w*11/10):
					// The database changes a little after the sample: the
					// sample's own row, autovacuum.
					t.Errorf("%s = %d, want about %d", metric, v, w)
				case metric != store.MetricDatabaseBytes && v != w:
					t.Errorf("%s = %d, want %d", metric, v, w)
				}
			}
		})
	}
}
