package service

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/metricstest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

func TestMetricsEndpointAfterARealBackup(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 2, Keys: 400, Days: 40})
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	a := newService(t, url, map[string]string{"HTTP_ADDR": "127.0.0.1:0"})
	addr, err := a.StartMetrics(ctx, &wg)
	if err != nil || addr == nil {
		t.Fatalf("startMetrics: %v, %v", addr, err)
	}
	base := "http://" + addr.String()

	if code, body := metricstest.Get(t, base+"/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Fatalf("/healthz %d %q", code, body)
	}
	if code, body := metricstest.Get(t, base+"/readyz"); code != 200 {
		t.Fatalf("/readyz %d %q with the database up", code, body)
	}

	r, err := a.Jobs.Backup.Run(ctx, jobs.BackupOptions{Trigger: vocab.TriggerShell}, nil)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	a.Jobs.Status.Run(ctx) // what /status does: sizes and key ages
	code, page := metricstest.Get(t, base+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics %d", code)
	}
	m := r.Manifest
	want := map[string]float64{
		`pgkeeper_job_last_success{job="backup"}`:             1,
		`pgkeeper_backup_last_size_bytes`:                     float64(m.CompressedBytes),
		`pgkeeper_backup_last_duration_seconds`:               m.Duration.Seconds(),
		`pgkeeper_table_rows_estimate{table="whatsapp_keys"}`: float64(pgtest.QueryInt(t, url, "SELECT count(*) FROM whatsapp_keys")),
		`pgkeeper_database_size_bytes`:                        float64(pgtest.QueryInt(t, url, "SELECT pg_database_size(current_database())")),
	}
	for series, v := range want {
		got, ok := metricstest.Sample(page, series)
		if !ok {
			t.Errorf("no %s in /metrics", series)
			continue
		}
		// The database's size moves as pgkeeper writes its own history.
		if series == `pgkeeper_database_size_bytes` {
			if got <= 0 || got > 2*v {
				t.Errorf("%s = %g, want about %g", series, got, v)
			}
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(v) {
			t.Errorf("%s = %g, want %g", series, got, v)
		}
	}
	var keys float64
	for _, b := range []string{"lt_1d", "1d_7d", "7d_14d", "14d_30d", "gt_30d"} {
		v, ok := metricstest.Sample(page, `pgkeeper_keys_by_age{bucket="`+b+`"}`)
		if !ok {
			t.Errorf("no keys_by_age bucket %s", b)
		}
		keys += v
	}
	if keys != want[`pgkeeper_table_rows_estimate{table="whatsapp_keys"}`] {
		t.Errorf("keys by age sum to %g, want every key", keys)
	}
	for _, series := range []string{"pgkeeper_backup_last_age_seconds", `pgkeeper_job_last_duration_seconds{job="backup"}`, `pgkeeper_table_total_bytes{table="whatsapp_auth"}`} {
		if _, ok := metricstest.Sample(page, series); !ok {
			t.Errorf("no %s in /metrics", series)
		}
	}
	if strings.Contains(page, pgtest.Password(t)) {
		t.Fatal("/metrics shows the database password")
	}

	// The database goes away: readiness says so, liveness does not.
	pgtest.Exec(t, pgtest.AdminURL(t), "DROP DATABASE "+a.DB.Database()+" WITH (FORCE)")
	if code, body := metricstest.Get(t, base+"/readyz"); code != 503 || !strings.Contains(body, "not ready") {
		t.Fatalf("/readyz %d %q with the database gone", code, body)
	}
	if code, _ := metricstest.Get(t, base+"/healthz"); code != 200 {
		t.Fatalf("/healthz %d with the database gone: a restart would not bring it back", code)
	}
}
