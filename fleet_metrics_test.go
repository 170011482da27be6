package main

import (
	"maps"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/metricstest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/s3test"
)

// `pgkeeper serve` of several databases with HTTP_ADDR serves one /metrics
// where each database's series carry its name: a backup of crm moves crm's
// figures alone; down, unreachable, has none of the figures a status report
// measures, and does not make the instance unready; the state database
// going away does. crm's remote is crm's alone. No password, no token and
// no secret key on any page.
func TestServeFleetMetrics(t *testing.T) {
	app := pgtest.NewDB(t)
	gate := pgtest.NewGate(t, app) // app is the state database too
	gate.Open()
	crm := pgtest.NewDB(t)
	down, _ := url.Parse(droppedDB(t, "fleetmetrics_down"))
	down.User = url.UserPassword(down.User.Username(), "s3cret-down-pw")
	_, env := startS3(t, map[string]string{"DATABASE_URL_APP": gate.URL(), "DATABASE_URL_CRM": crm,
		"DATABASE_URL_DOWN": down.String(), "STARTUP_DB_WAIT": "1s", "DB_WATCH_INTERVAL": "5s",
		"BACKUP_REMOTES_CRM": "msk=s3://" + s3test.Bucket + "/pg"}) // crm alone has a remote
	s := startFleetServe(t, env)
	secrets := []string{pgtest.Password(t), "s3cret-down-pw", s.api.Token, s3test.SecretAccessKey}

	waitFor(t, "/readyz ready once every database is guarded", s.logs, func() bool {
		code, _ := s.get(t, "/readyz")
		return code == http.StatusOK
	})
	// Each reachable database's status report, at start, is its own.
	page := s.waitSeries(t, map[string]*float64{`pgkeeper_database_size_bytes{database="app"}`: nil,
		`pgkeeper_database_size_bytes{database="crm"}`: nil})
	// down is said to be down, and has none of the figures it would have
	// had to answer for.
	zero, one := 0.0, 1.0
	page = s.waitSeries(t, map[string]*float64{`pgkeeper_database_up{database="down"}`: &zero,
		`pgkeeper_database_up{database="app"}`: &one, `pgkeeper_database_up{database="crm"}`: &one})
	if _, ok := metricstest.Sample(page, `pgkeeper_database_size_bytes{database="down"}`); ok {
		t.Errorf("down, unreachable, has a size:\n%s", page)
	}

	s.api.SendText(1001, "/backup crm")
	page = s.waitSeries(t, map[string]*float64{`pgkeeper_job_last_success{database="crm",job="backup"}`: &one,
		`pgkeeper_backup_last_age_seconds{database="crm"}`: nil, `pgkeeper_backup_last_size_bytes{database="crm"}`: nil,
		`pgkeeper_remote_last_success{database="crm",remote="msk"}`: &one})
	tests := []struct {
		series string
		want   bool
	}{
		{`pgkeeper_job_last_success{database="crm",job="backup"}`, true},
		{`pgkeeper_job_last_run_timestamp_seconds{database="crm",job="backup"}`, true},
		{`pgkeeper_remote_failures_total{database="crm",remote="msk"}`, true},
		{`pgkeeper_remote_last_success_timestamp_seconds{database="crm",remote="msk"}`, true},
		{`pgkeeper_remote_failures_total{database="app",remote="msk"}`, false},
		{`pgkeeper_job_last_success{database="app",job="backup"}`, false},
		{`pgkeeper_backup_last_age_seconds{database="app"}`, false},
		{`pgkeeper_job_last_success{database="down",job="backup"}`, false},
		{`pgkeeper_backup_last_age_seconds{database="down"}`, false},
		{`pgkeeper_job_last_success{job="backup"}`, false}, // the single database's form
		{`pgkeeper_database_size_bytes`, false},
	}
	for _, tt := range tests {
		if _, ok := metricstest.Sample(page, tt.series); ok != tt.want {
			t.Errorf("%s on /metrics: %v, want %v", tt.series, ok, tt.want)
		}
	}
	for _, series := range pgkeeperSeries(page) {
		if !strings.Contains(series, `database="app"`) && !strings.Contains(series, `database="crm"`) &&
			!strings.Contains(series, `database="down"`) {
			t.Errorf("%s names no guarded database", series)
		}
	}
	if n := strings.Count(page, "\ngo_goroutines "); n != 1 {
		t.Errorf("go_goroutines %d times, want once", n)
	}
	if code, body := s.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d %q", code, body)
	}
	// The image's health check, with the same configuration.
	env = maps.Clone(s.env)
	env["HTTP_ADDR"] = strings.TrimPrefix(s.base, "http://")
	if code, out, errs := runCLI(t, env, "health"); code != 0 || out != "ok\n" {
		t.Errorf("pgkeeper health: exit %d, %q %q", code, out, errs)
	}

	// The state database goes away: the instance cannot tell anyone, and
	// the watch finds app down; back, both recover.
	gate.Close()
	var reason string
	waitFor(t, "/readyz not ready without the state database", s.logs, func() bool {
		var code int
		code, reason = s.get(t, "/readyz")
		return code == http.StatusServiceUnavailable
	})
	if !strings.Contains(reason, "state database") {
		t.Errorf("/readyz does not name the state database: %q", reason)
	}
	page = s.waitSeries(t, map[string]*float64{`pgkeeper_database_up{database="app"}`: &zero,
		`pgkeeper_database_up{database="crm"}`: &one})
	for _, text := range []string{page, reason} {
		for _, secret := range secrets {
			if secret != "" && strings.Contains(text, secret) {
				t.Errorf("a secret on a page:\n%s", text)
			}
		}
	}
	gate.Open()
	s.waitSeries(t, map[string]*float64{`pgkeeper_database_up{database="app"}`: &one})
	waitFor(t, "/readyz ready with the state database back", s.logs, func() bool {
		code, _ := s.get(t, "/readyz")
		return code == http.StatusOK
	})
}

// A port already in use stops a serve of several databases at start, as it
// does a serve of one, rather than guarding them with no metrics.
func TestServeFleetMetricsPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	app, crm := pgtest.NewDB(t), pgtest.NewDB(t)
	code, _, stderr := runFleet(t, map[string]string{"DATABASE_URL_APP": app, "DATABASE_URL_CRM": crm,
		"HTTP_ADDR": ln.Addr().String(), "PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": t.TempDir(),
		"TELEGRAM_BOT_TOKEN": "123456:AAtest-secret-token-000000000000000", "TELEGRAM_API_URL": "http://127.0.0.1:1", "TELEGRAM_ADMIN_IDS": "1001"}, "serve")
	if code != exitFailed || !strings.Contains(stderr, "cannot serve HTTP_ADDR") || !strings.Contains(stderr, "address already in use") {
		t.Errorf("exit %d, want %d naming HTTP_ADDR:\n%s", code, exitFailed, stderr)
	}
	if n := pgtest.QueryInt(t, crm, "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgkeeper'"); n != 0 {
		t.Error("serve guarded crm all the same")
	}
}
