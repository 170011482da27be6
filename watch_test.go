package main

import (
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/telegramtest"
)

// While serve runs, the database going away is an alert in the chat (which
// the outbox delivers although the database that keeps it is the one down),
// and its return is a message too, each once.
func TestServeWatchesTheDatabase(t *testing.T) {
	s := startGatedServe(t, true, map[string]string{"DB_WATCH_INTERVAL": "5s"}) // the shortest allowed
	gate, api, logs := s.gate, s.api, s.logs
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
	time.Sleep(6 * time.Second) // one more check: room for a repeated message to show
	for _, w := range []string{"Database unreachable", "Database answers again"} {
		if n := api.SentContaining(w); n != 1 {
			t.Errorf("%q sent %d times, want once", w, n)
		}
	}
	if pw := pgtest.Password(t); pw != "" && (strings.Contains(logs.String(), pw) || strings.Contains(down.Params["text"], pw)) {
		t.Error("the password leaked into the alert or the logs")
	}
}
