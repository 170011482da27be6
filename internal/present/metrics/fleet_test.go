package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/redact"
	"github.com/pgkeeper/pgkeeper/internal/testkit/metricstest"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// scrapeFleet is scrape of a Fleet's page.
func scrapeFleet(t *testing.T, f *Fleet) map[string]float64 {
	t.Helper()
	return scrapeHandler(t, f.Handler(nil))
}

// Each database's series carry its name and only its own figures; the
// same observation on two databases makes two series, not a conflict.
func TestFleetLabelsEachDatabase(t *testing.T) {
	f := NewFleet()
	crm, app := f.Database("crm"), f.Database("app")
	crm.Now = func() time.Time { return t0 }
	crm.ObserveJob("backup", true, 2*time.Second, t0)
	app.ObserveJob("backup", false, time.Second, t0)
	crm.ObserveStatus(statusReport())
	app.ObserveRemotes(t0, []jobs.RemoteOutcome{{Remote: "msk", Error: "refused"}})
	got := scrapeFleet(t, f)
	wantSamples(t, got, map[string]float64{
		`pgkeeper_job_last_success{database="crm",job="backup"}`:               1,
		`pgkeeper_job_last_success{database="app",job="backup"}`:               0,
		`pgkeeper_job_last_duration_seconds{database="crm",job="backup"}`:      2,
		`pgkeeper_job_last_run_timestamp_seconds{database="app",job="backup"}`: float64(t0.Unix()),
		`pgkeeper_backup_last_age_seconds{database="crm"}`:                     3 * 3600,
		`pgkeeper_backup_last_size_bytes{database="crm"}`:                      420_000_000,
		`pgkeeper_database_size_bytes{database="crm"}`:                         1_060_000_000,
		`pgkeeper_table_rows_estimate{database="crm",table="whatsapp_keys"}`:   987_588,
		`pgkeeper_keys_by_age{bucket="gt_30d",database="crm"}`:                 50,
		`pgkeeper_remote_last_success{database="app",remote="msk"}`:            0,
		`pgkeeper_remote_failures_total{database="app",remote="msk"}`:          1,
		`pgkeeper_database_up{database="crm"}`:                                 1,
	})
	if _, ok := got[`pgkeeper_database_up{database="app"}`]; ok {
		t.Error("app's reachability exported before anything measured it")
	}
	for series := range got {
		switch {
		case strings.HasPrefix(series, "pgkeeper_") && !strings.Contains(series, `database="`):
			t.Errorf("%s has no database label", series)
		case strings.Contains(series, `database="app"`) && (strings.HasPrefix(series, "pgkeeper_backup_") ||
			strings.HasPrefix(series, "pgkeeper_table_") || strings.HasPrefix(series, "pgkeeper_database_")):
			t.Errorf("%s: app measured none of crm's figures", series)
		case strings.Contains(series, `database="crm"`) && strings.HasPrefix(series, "pgkeeper_remote_"):
			t.Errorf("%s: app's remote shows on crm", series)
		}
	}
}

// A dropped database's series leave the page; found again, it starts
// with nothing rather than its figures from before.
func TestFleetDrop(t *testing.T) {
	f := NewFleet()
	crm, app := f.Database("crm"), f.Database("app")
	crm.ObserveJob("backup", true, time.Second, t0)
	app.ObserveJob("backup", true, time.Second, t0)
	f.Drop("crm")
	crm.ObserveJob("cleanup", true, time.Second, t0) // a run that was under way
	f.Drop("nosuch")
	got := scrapeFleet(t, f)
	for series := range got {
		if strings.Contains(series, `database="crm"`) {
			t.Errorf("%s exported after crm was dropped", series)
		}
	}
	wantSamples(t, got, map[string]float64{`pgkeeper_job_last_success{database="app",job="backup"}`: 1})

	again := f.Database("crm")
	for series := range scrapeFleet(t, f) {
		if strings.Contains(series, `database="crm"`) {
			t.Errorf("%s exported for crm found again before anything was measured", series)
		}
	}
	again.ObserveJob("backup", false, time.Second, t0)
	f.Database("app") // a second Database of one name replaces the first
	got = scrapeFleet(t, f)
	wantSamples(t, got, map[string]float64{`pgkeeper_job_last_success{database="crm",job="backup"}`: 0})
	if _, ok := got[`pgkeeper_job_last_success{database="app",job="backup"}`]; ok {
		t.Error("app's figures survived its replacement")
	}
}

// The process's own series come once, without a database label; /readyz
// is the readiness given, its reason redacted.
func TestFleetServeListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	f := NewFleet()
	f.Redactor = redact.New("tok:SECRET")
	f.Database("a").ObserveJob("backup", true, time.Second, t0)
	f.Database("b").ObserveJob("backup", true, time.Second, t0)
	ready := func(context.Context) error { return errors.New("state database: bot tok:SECRET not started") }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.ServeListener(ctx, ln, ready) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeListener: %v", err)
		}
	}()
	_, page := metricstest.Get(t, base+"/metrics")
	if n := strings.Count(page, "\ngo_goroutines "); n != 1 {
		t.Errorf("go_goroutines %d times, want once, unlabelled:\n%s", n, page)
	}
	if n := strings.Count(page, "\nprocess_start_time_seconds "); n != 1 {
		t.Errorf("process_start_time_seconds %d times, want once", n)
	}
	code, body := metricstest.Get(t, base+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "not started") || strings.Contains(body, "SECRET") {
		t.Errorf("/readyz: %d %q, want 503 with the reason, redacted", code, body)
	}
	if code, body := metricstest.Get(t, base+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
}

// pgkeeper_database_up: a Fleet's database is up or down as its last status
// report or watch check found it; a Metrics alone never exports it (its
// /readyz says so), so that a single database's page stays as it was.
func TestFleetDatabaseUp(t *testing.T) {
	down := jobs.StatusReport{At: t0, Database: jobs.DatabaseStatus{Error: "connection refused"}}
	tests := []struct {
		name    string
		observe func(m *Metrics)
		want    float64
	}{
		{"a status report that reached it", func(m *Metrics) { m.ObserveStatus(statusReport()) }, 1},
		{"a status report that did not", func(m *Metrics) { m.ObserveStatus(down) }, 0},
		{"the watch found it down", func(m *Metrics) { m.ObserveStatus(statusReport()); m.ObserveUp(false) }, 0},
		{"the watch found it back", func(m *Metrics) { m.ObserveStatus(down); m.ObserveUp(true) }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFleet()
			tt.observe(f.Database("crm"))
			wantSamples(t, scrapeFleet(t, f), map[string]float64{`pgkeeper_database_up{database="crm"}`: tt.want})
			alone := New()
			tt.observe(alone)
			for series := range scrape(t, alone) {
				if strings.HasPrefix(series, "pgkeeper_database_up") {
					t.Errorf("a single database's page has %s", series)
				}
			}
		})
	}
}
