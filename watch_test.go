package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/logtest"
	"github.com/pgkeeper/pgkeeper/internal/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/telegramtest"
)

// While serve runs, the database going away is an alert in the chat (which
// the outbox delivers although the database that keeps it is the one down),
// and its return is a message too, each once.
func TestServeWatchesTheDatabase(t *testing.T) {
	url := pgtest.NewDB(t)
	gate := pgtest.NewGate(t, url)
	gate.Open()
	api := telegramtest.New(t)
	env := map[string]string{"DATABASE_URL": gate.URL(), "PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": t.TempDir(),
		"TELEGRAM_BOT_TOKEN": api.Token, "TELEGRAM_API_URL": api.URL, "TELEGRAM_ADMIN_IDS": "1001", "TELEGRAM_CHAT_ID": alertChat,
		"DB_WATCH_INTERVAL": "200ms", "BACKUP_SCHEDULE": "", "CLEANUP_SCHEDULE": "", "RESTORE_TEST_SCHEDULE": "", "SUMMARY_SCHEDULE": ""}
	t.Chdir(t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	var logs logtest.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, &logs, &logs)
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	api.WaitArrived(t, "getUpdates", nil, 30*time.Second)

	gate.Close()
	down := api.WaitCall(t, "sendMessage", func(c telegramtest.Call) bool {
		return c.Params["chat_id"] == alertChat && strings.Contains(c.Params["text"], "Database unreachable")
	}, 30*time.Second)
	if !strings.Contains(down.Params["text"], "keeps checking") {
		t.Errorf("the alert does not say what happens next:\n%s", down.Params["text"])
	}
	gate.Open()
	api.WaitCall(t, "sendMessage", func(c telegramtest.Call) bool {
		return c.Params["chat_id"] == alertChat && strings.Contains(c.Params["text"], "Database answers again")
	}, 30*time.Second)
	time.Sleep(time.Second) // room for a repeated alert to show
	for _, w := range []string{"Database unreachable", "Database answers again"} {
		if n := api.SentContaining(w); n != 1 {
			t.Errorf("%q sent %d times, want once", w, n)
		}
	}
	if pw := pgtest.Password(t); pw != "" && (strings.Contains(logs.String(), pw) || strings.Contains(down.Params["text"], pw)) {
		t.Error("the password leaked into the alert or the logs")
	}
}
