package main

import (
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/telegramtest"
)

// With TELEGRAM_THREAD_ID set, what pgkeeper posts unasked goes to that
// topic of the forum TELEGRAM_CHAT_ID: a failed shell job's alert (sent
// directly) and serve's word that it started without its database (no
// outbox then).
func TestAlertsGoToTheThread(t *testing.T) {
	const forum, topic = "-1001888", "9"
	inTopic := func(want string) func(telegramtest.Call) bool {
		return func(c telegramtest.Call) bool {
			return c.Params["chat_id"] == forum && strings.Contains(c.Params["text"], want)
		}
	}
	t.Run("a failed shell backup", func(t *testing.T) {
		api := telegramtest.New(t)
		api.Forum(-1001888, 9)
		code, _, _ := runCLI(t, map[string]string{"DATABASE_URL": pgtest.NewDB(t), "PG_BIN_DIR": t.TempDir(),
			"BACKUP_DIR": t.TempDir(), "TELEGRAM_BOT_TOKEN": api.Token, "TELEGRAM_API_URL": api.URL,
			"TELEGRAM_CHAT_ID": forum, "TELEGRAM_THREAD_ID": topic}, "backup")
		if code != 1 {
			t.Fatalf("backup without pg_dump exited %d, want 1", code)
		}
		alert := api.WaitCall(t, "sendMessage", inTopic("FAILED"), 10*time.Second)
		if alert.Params["message_thread_id"] != topic || alert.Status != 200 {
			t.Errorf("alert in topic %q (status %d), want %s", alert.Params["message_thread_id"], alert.Status, topic)
		}
	})
	t.Run("serve without its database", func(t *testing.T) {
		s := startGatedServe(t, false, map[string]string{"STARTUP_DB_WAIT": "2s",
			"TELEGRAM_CHAT_ID": forum, "TELEGRAM_THREAD_ID": topic, "TELEGRAM_ADMIN_IDS": "1001"})
		s.api.Forum(-1001888, 9)
		alert := s.api.WaitCall(t, "sendMessage", inTopic("started without its database"), 30*time.Second)
		if alert.Params["message_thread_id"] != topic || alert.Status != 200 {
			t.Errorf("alert in topic %q (status %d), want %s", alert.Params["message_thread_id"], alert.Status, topic)
		}
	})
}
