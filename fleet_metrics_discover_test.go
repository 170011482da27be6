package main

import (
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/metricstest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
)

// A database found later on a server gets its series when it is guarded;
// one gone loses them, rather than showing its last figures as current.
func TestServeFleetMetricsFollowDiscovery(t *testing.T) {
	old := rediscoverEvery
	rediscoverEvery = 300 * time.Millisecond
	t.Cleanup(func() { rediscoverEvery = old })
	app := pgtest.NewDB(t)
	pgtest.NewNamedDB(t, "fmre_one")
	s := startFleetServe(t, map[string]string{"DATABASE_URL_APP": app, "PGKEEPER_STATE_URL": app,
		"DATABASE_SERVER_MAIN": pgtest.AdminURL(t), "DATABASE_SERVER_MAIN_EXCLUDE": othersOnServer(t, "fmre_one", "fmre_two")})
	s.waitSeries(t, map[string]*float64{`pgkeeper_database_size_bytes{database="fmre_one"}`: nil,
		`pgkeeper_database_size_bytes{database="app"}`: nil})

	pgtest.NewNamedDB(t, "fmre_two")
	s.waitSeries(t, map[string]*float64{`pgkeeper_database_size_bytes{database="fmre_two"}`: nil})

	pgtest.Exec(t, pgtest.AdminURL(t), `DROP DATABASE fmre_one WITH (FORCE)`)
	var page string
	waitFor(t, "fmre_one's series gone", s.logs, func() bool {
		_, page = s.get(t, "/metrics")
		return !strings.Contains(page, `database="fmre_one"`)
	})
	for _, series := range []string{`pgkeeper_database_size_bytes{database="fmre_two"}`, `pgkeeper_database_size_bytes{database="app"}`} {
		if _, ok := metricstest.Sample(page, series); !ok {
			t.Errorf("%s gone with fmre_one:\n%s", series, page)
		}
	}
}
