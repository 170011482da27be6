package metrics

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

var t0 = time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)

// scrape fetches /metrics from m and returns every sample by its series text
// (name and labels, as exposed).
func scrape(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	return scrapeHandler(t, m.Handler(nil))
}

// scrapeHandler is scrape of any /metrics handler.
func scrapeHandler(t *testing.T, h http.Handler) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: status %d: %s", rec.Code, rec.Body)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

func wantSamples(t *testing.T, got map[string]float64, want map[string]float64) {
	t.Helper()
	for series, w := range want {
		g, ok := got[series]
		if !ok {
			t.Errorf("%s missing", series)
			continue
		}
		if g != w {
			t.Errorf("%s = %v, want %v", series, g, w)
		}
	}
}

func table(name string, bytes, rows int64) jobs.TableStatus {
	return jobs.TableStatus{TableStats: store.TableStats{Table: vocab.Ident{Name: name}, TotalBytes: bytes, Rows: rows}}
}

func statusReport() jobs.StatusReport {
	return jobs.StatusReport{
		At:       t0,
		Database: jobs.DatabaseStatus{Reachable: true, SizeBytes: 1_060_000_000},
		Tables: []jobs.TableStatus{
			table("whatsapp_auth", 65536, 12),
			table("whatsapp_keys", 544_000_000, 987_588),
			{TableStats: store.TableStats{Table: vocab.Ident{Name: "gone"}}, Error: "relation does not exist"},
		},
		Keys: jobs.KeysStatus{Checked: true, KeyAges: store.KeyAges{Buckets: [5]int64{10, 20, 30, 40, 50}}},
		LastBackup: &jobs.Manifest{
			Start:           t0.Add(-3 * time.Hour),
			Duration:        6370 * time.Millisecond,
			CompressedBytes: 420_000_000,
		},
	}
}

func TestObserveStatus(t *testing.T) {
	m := New()
	m.Now = func() time.Time { return t0.Add(time.Minute) }
	m.ObserveStatus(statusReport())
	got := scrape(t, m)
	wantSamples(t, got, map[string]float64{
		"pgkeeper_backup_last_age_seconds":                    3*3600 + 60,
		"pgkeeper_backup_last_size_bytes":                     420_000_000,
		"pgkeeper_backup_last_duration_seconds":               6.37,
		"pgkeeper_database_size_bytes":                        1_060_000_000,
		`pgkeeper_table_total_bytes{table="whatsapp_keys"}`:   544_000_000,
		`pgkeeper_table_rows_estimate{table="whatsapp_keys"}`: 987_588,
		`pgkeeper_table_rows_estimate{table="whatsapp_auth"}`: 12,
		`pgkeeper_keys_by_age{bucket="lt_1d"}`:                10,
		`pgkeeper_keys_by_age{bucket="gt_30d"}`:               50,
	})
	if _, ok := got[`pgkeeper_table_total_bytes{table="gone"}`]; ok {
		t.Error("a table whose size could not be read is exported")
	}

	t.Run("the age grows between reports", func(t *testing.T) {
		m.Now = func() time.Time { return t0.Add(time.Hour) }
		wantSamples(t, scrape(t, m), map[string]float64{"pgkeeper_backup_last_age_seconds": 4 * 3600})
	})

	t.Run("a report that could not read figures removes them", func(t *testing.T) {
		m.ObserveStatus(jobs.StatusReport{At: t0})
		got := scrape(t, m)
		for series := range got {
			if strings.HasPrefix(series, "pgkeeper_table_") || strings.HasPrefix(series, "pgkeeper_keys_") ||
				strings.HasPrefix(series, "pgkeeper_backup_") {
				t.Errorf("%s still exported", series)
			}
		}
	})
}

func TestNothingObservedExportsNoPgkeeperSeries(t *testing.T) {
	for series := range scrape(t, New()) {
		if strings.HasPrefix(series, "pgkeeper_") {
			t.Errorf("%s exported before anything was observed", series)
		}
	}
}

func TestObserveBackup(t *testing.T) {
	older := jobs.Manifest{Start: t0.Add(-48 * time.Hour), CompressedBytes: 1}
	newer := jobs.Manifest{Start: t0.Add(-time.Hour), CompressedBytes: 2}
	tests := []struct {
		name string
		give []jobs.Manifest
		want float64
	}{
		{name: "newest is kept", give: []jobs.Manifest{newer, older}, want: 2},
		{name: "a newer replaces", give: []jobs.Manifest{older, newer}, want: 2},
		{name: "a single backup", give: []jobs.Manifest{older}, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			m.Now = func() time.Time { return t0 }
			for _, b := range tt.give {
				m.ObserveBackup(b)
			}
			wantSamples(t, scrape(t, m), map[string]float64{"pgkeeper_backup_last_size_bytes": tt.want})
		})
	}
}

func TestObserveJobAndRestore(t *testing.T) {
	m := New()
	m.ObserveJob("backup", true, 6500*time.Millisecond, t0)
	m.ObserveJob("cleanup", false, 2*time.Second, t0.Add(time.Hour))
	m.ObserveRestore(90*time.Second, 26*time.Hour)
	wantSamples(t, scrape(t, m), map[string]float64{
		`pgkeeper_job_last_success{job="backup"}`:                1,
		`pgkeeper_job_last_success{job="cleanup"}`:               0,
		`pgkeeper_job_last_duration_seconds{job="backup"}`:       6.5,
		`pgkeeper_job_last_run_timestamp_seconds{job="cleanup"}`: float64(t0.Add(time.Hour).Unix()),
		"pgkeeper_restore_test_rto_seconds":                      90,
		"pgkeeper_restore_test_rpo_seconds":                      26 * 3600,
	})
}

func TestRegistriesAreIndependent(t *testing.T) {
	a, b := New(), New()
	a.ObserveRestore(time.Second, time.Second)
	if _, ok := scrape(t, b)["pgkeeper_restore_test_rto_seconds"]; ok {
		t.Error("a gauge set on one Metrics shows on another")
	}
}

func TestBackupCopySeries(t *testing.T) {
	tests := []struct {
		name string
		copy *jobs.CopyOutcome
		want float64 // -1: absent
	}{
		{"no copy command", nil, -1},
		{"copied", &jobs.CopyOutcome{OK: true}, 1},
		{"copy failed", &jobs.CopyOutcome{OK: false}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			m.Now = func() time.Time { return t0 }
			m.ObserveBackup(jobs.Manifest{Start: t0.Add(-time.Hour), CompressedBytes: 1, Copy: tt.copy})
			got := scrape(t, m)
			v, ok := got["pgkeeper_backup_last_copy_success"]
			if tt.want < 0 {
				if ok {
					t.Errorf("exported %v without a copy command", v)
				}
				return
			}
			wantSamples(t, got, map[string]float64{"pgkeeper_backup_last_copy_success": tt.want})
		})
	}
}
