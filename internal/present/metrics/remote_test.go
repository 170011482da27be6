package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/jobs"
)

// TestRemoteMetrics: each remote's last success, bytes, duration and
// failures, labelled by its name, from backup runs, a seed and a status
// report's listing; the last success never moves back.
func TestRemoteMetrics(t *testing.T) {
	ok := func(name string, at time.Time, bytes int64) jobs.RemoteOutcome {
		return jobs.RemoteOutcome{Remote: name, Bytes: bytes, Duration: 12 * time.Second,
			Copy: &jobs.RemoteCopy{Remote: name, Verified: true, At: at, Size: bytes}}
	}
	failed := jobs.RemoteOutcome{Remote: "spb", Error: "access denied", Duration: 2 * time.Second}
	newest := func(name string, at time.Time) *jobs.Manifest {
		return &jobs.Manifest{Remotes: []jobs.RemoteCopy{{Remote: name, Verified: true, At: at}}}
	}
	tests := []struct {
		name    string
		do      func(m *Metrics)
		want    map[string]float64
		notWant []string
	}{
		{"seeded at start", func(m *Metrics) {
			m.SeedRemote("msk", &jobs.RemoteCopy{Remote: "msk", Verified: true, At: t0})
			m.SeedRemote("spb", nil)
		}, map[string]float64{
			`pgkeeper_remote_failures_total{remote="msk"}`:                 0,
			`pgkeeper_remote_failures_total{remote="spb"}`:                 0,
			`pgkeeper_remote_last_success_timestamp_seconds{remote="msk"}`: float64(t0.Unix()),
		}, []string{`pgkeeper_remote_last_success_timestamp_seconds{remote="spb"}`, `pgkeeper_remote_last_success{remote="msk"}`}},
		{"a run that reached one and failed the other", func(m *Metrics) {
			m.SeedRemote("spb", nil)
			m.ObserveRemotes(t0.Add(time.Hour), []jobs.RemoteOutcome{ok("msk", t0.Add(time.Hour), 812_000_000), failed})
		}, map[string]float64{
			`pgkeeper_remote_last_success{remote="msk"}`:                   1,
			`pgkeeper_remote_last_success{remote="spb"}`:                   0,
			`pgkeeper_remote_last_success_timestamp_seconds{remote="msk"}`: float64(t0.Add(time.Hour).Unix()),
			`pgkeeper_remote_last_bytes{remote="msk"}`:                     812_000_000,
			`pgkeeper_remote_last_duration_seconds{remote="msk"}`:          12,
			`pgkeeper_remote_last_duration_seconds{remote="spb"}`:          2,
			`pgkeeper_remote_failures_total{remote="spb"}`:                 1,
			`pgkeeper_remote_failures_total{remote="msk"}`:                 0,
		}, []string{`pgkeeper_remote_last_success_timestamp_seconds{remote="spb"}`}},
		{"failures count up; a failure keeps the last success", func(m *Metrics) {
			m.ObserveRemotes(t0, []jobs.RemoteOutcome{ok("spb", t0, 5)})
			m.ObserveRemotes(t0.Add(time.Hour), []jobs.RemoteOutcome{failed})
			m.ObserveRemotes(t0.Add(2*time.Hour), []jobs.RemoteOutcome{failed})
		}, map[string]float64{
			`pgkeeper_remote_failures_total{remote="spb"}`:                 2,
			`pgkeeper_remote_last_success{remote="spb"}`:                   0,
			`pgkeeper_remote_last_success_timestamp_seconds{remote="spb"}`: float64(t0.Unix()),
		}, nil},
		{"a status listing moves it forward, never back", func(m *Metrics) {
			m.ObserveRemotes(t0, []jobs.RemoteOutcome{ok("msk", t0, 5)})
			m.ObserveStatus(jobs.StatusReport{Remotes: []jobs.RemoteStatus{
				{Name: "msk", Listed: true, Newest: newest("msk", t0.Add(-time.Hour))},
				{Name: "spb", Listed: true, Newest: newest("spb", t0.Add(3*time.Hour))},
				// The local records of an unreachable bucket are not the bucket.
				{Name: "old", Listed: false, Newest: newest("old", t0)},
			}})
		}, map[string]float64{
			`pgkeeper_remote_last_success_timestamp_seconds{remote="msk"}`: float64(t0.Unix()),
			`pgkeeper_remote_last_success_timestamp_seconds{remote="spb"}`: float64(t0.Add(3 * time.Hour).Unix()),
		}, []string{`remote="old"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			tt.do(m)
			got := scrape(t, m)
			wantSamples(t, got, tt.want)
			for _, series := range tt.notWant {
				for s := range got {
					if strings.Contains(s, series) {
						t.Errorf("exports %s", s)
					}
				}
			}
		})
	}
}
