package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/logtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/metricstest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/telegramtest"
)

// fleetServe is `pgkeeper serve` of several databases run in-process with
// HTTP_ADDR on a free port, against a fake Bot API, with no schedules.
type fleetServe struct {
	api  *telegramtest.Server
	logs *logtest.Buffer
	base string // http://host:port of /metrics, /readyz, /healthz
	env  map[string]string
}

// startFleetServe starts serve with env added to (or overriding) the
// defaults, and waits until it serves HTTP_ADDR; it is stopped, and must
// exit 0 within 30 s, when the test ends.
func startFleetServe(t *testing.T, env map[string]string) *fleetServe {
	t.Helper()
	s := &fleetServe{api: telegramtest.New(t), logs: &logtest.Buffer{}}
	full := map[string]string{"PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": t.TempDir(), "HTTP_ADDR": "127.0.0.1:0",
		"TELEGRAM_BOT_TOKEN": s.api.Token, "TELEGRAM_API_URL": s.api.URL, "TELEGRAM_ADMIN_IDS": "1001", "TELEGRAM_CHAT_ID": alertChat,
		"BACKUP_SCHEDULE": "", "CLEANUP_SCHEDULE": "", "RESTORE_TEST_SCHEDULE": "", "SUMMARY_SCHEDULE": ""}
	for k, v := range env {
		full[k] = v
	}
	s.env = full
	t.Chdir(t.TempDir())
	for k, v := range full { // run finds DATABASE_URL_<NAME> and the like among the environment's names
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	code, exited := 0, make(chan struct{})
	go func() {
		defer close(exited)
		code = run(ctx, []string{"serve"}, func(k string) (string, bool) { v, ok := full[k]; return v, ok }, s.logs, s.logs)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-exited:
			if code != 0 {
				t.Errorf("serve exited %d:\n%s", code, s.logs.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})
	addr := regexp.MustCompile(`serving /healthz, /readyz and /metrics" addr=(\S+)`)
	waitFor(t, "serve listening on HTTP_ADDR", s.logs, func() bool {
		select {
		case <-exited:
			t.Fatalf("serve exited %d at start:\n%s", code, s.logs.String())
		default:
		}
		return addr.MatchString(s.logs.String())
	})
	s.base = "http://" + addr.FindStringSubmatch(s.logs.String())[1]
	return s
}

// get is one request to path (/metrics, /readyz, /healthz).
func (s *fleetServe) get(t *testing.T, path string) (int, string) {
	t.Helper()
	return metricstest.Get(t, s.base+path)
}

// waitSeries scrapes /metrics until every series in want is there (with its
// value, when not nil) and returns that page.
func (s *fleetServe) waitSeries(t *testing.T, want map[string]*float64) string {
	t.Helper()
	var page string
	waitFor(t, "the series on /metrics", s.logs, func() bool {
		_, page = s.get(t, "/metrics")
		for series, v := range want {
			got, ok := metricstest.Sample(page, series)
			if !ok || (v != nil && got != *v) {
				return false
			}
		}
		return true
	})
	return page
}

// pgkeeperSeries are the pgkeeper_ series on a page, by name and labels.
func pgkeeperSeries(page string) []string {
	var out []string
	for _, line := range strings.Split(page, "\n") {
		if strings.HasPrefix(line, "pgkeeper_") {
			out = append(out, line[:strings.LastIndexByte(line, ' ')])
		}
	}
	return out
}
