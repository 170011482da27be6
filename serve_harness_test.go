package main

import (
	"context"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/logtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/telegramtest"
)

const alertChat = "4242"

// gatedServe is `pgkeeper serve` run in-process against a fake Bot API and a
// database behind a gate the test opens and closes, with no schedules.
type gatedServe struct {
	url  string // the database itself, not through the gate
	gate *pgtest.Gate
	api  *telegramtest.Server
	logs *logtest.Buffer
}

// startGatedServe starts serve with env added to (or overriding) the
// defaults; it is stopped, and must stop within 20 s, when the test ends.
// openGate says whether the database is reachable from the start.
func startGatedServe(t *testing.T, openGate bool, env map[string]string) *gatedServe {
	t.Helper()
	s := &gatedServe{url: pgtest.NewDB(t), api: telegramtest.New(t), logs: &logtest.Buffer{}}
	s.gate = pgtest.NewGate(t, s.url)
	if openGate {
		s.gate.Open()
	}
	full := map[string]string{"DATABASE_URL": s.gate.URL(), "PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": t.TempDir(),
		"TELEGRAM_BOT_TOKEN": s.api.Token, "TELEGRAM_API_URL": s.api.URL, "TELEGRAM_ADMIN_IDS": "1001", "TELEGRAM_CHAT_ID": alertChat,
		"BACKUP_SCHEDULE": "", "CLEANUP_SCHEDULE": "", "RESTORE_TEST_SCHEDULE": "", "SUMMARY_SCHEDULE": ""}
	for k, v := range env {
		full[k] = v
	}
	t.Chdir(t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) (string, bool) { v, ok := full[k]; return v, ok }, s.logs, s.logs)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	})
	return s
}
