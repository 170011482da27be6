package main

import (
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/telegramtest"
)

// serve started before its database: it waits for it, within
// STARTUP_DB_WAIT, and prepares its schema; past that it starts without and
// tells the alert chat what is off and what to do.
func TestServeWaitsForItsDatabase(t *testing.T) {
	cases := []struct {
		name      string
		wait      string
		openAfter time.Duration // 0: never
	}{
		{"the database comes up within the wait", "30s", 1500 * time.Millisecond},
		{"the database stays down", "2s", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			s := startGatedServe(t, false, map[string]string{"STARTUP_DB_WAIT": tc.wait})
			url, gate, api, logs := s.url, s.gate, s.api, s.logs
			if tc.openAfter > 0 {
				time.Sleep(tc.openAfter)
				gate.Open()
			}
			// The bot starts polling once serve is past the wait.
			api.WaitArrived(t, "getUpdates", nil, 60*time.Second)
			took := time.Since(start)
			if gate.Refused.Load() < 2 {
				t.Errorf("%d connections tried while the database was down, want retries", gate.Refused.Load())
			}
			schema := pgtest.QueryInt(t, url, "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgkeeper'")
			alerts := api.SentContaining("started without its database")
			// Every /status says what a degraded process runs without, even
			// once the database is back.
			gate.Open()
			api.SendText(1001, "/status")
			status := api.WaitCall(t, "sendMessage", func(c telegramtest.Call) bool { return c.Params["chat_id"] == "1001" }, 20*time.Second)
			if says := strings.Contains(status.Params["text"], "restart pgkeeper once the database answers"); says != (tc.openAfter == 0) {
				t.Errorf("/status (degraded: %v):\n%s", tc.openAfter == 0, status.Params["text"])
			}
			if tc.openAfter > 0 {
				if schema != 1 || alerts != 0 {
					t.Errorf("schema %d, %d degraded alerts: want the schema prepared and no alert; logs:\n%s", schema, alerts, logs.String())
				}
				if took < tc.openAfter {
					t.Errorf("the bot started after %v, before the database was up (%v)", took, tc.openAfter)
				}
				return
			}
			if schema != 0 {
				t.Errorf("schema prepared through a closed gate?")
			}
			if took < 2*time.Second {
				t.Errorf("gave up after %v, before STARTUP_DB_WAIT (2s)", took)
			}
			alert := api.WaitCall(t, "sendMessage", func(c telegramtest.Call) bool {
				return strings.Contains(c.Params["text"], "started without its database")
			}, 20*time.Second)
			text := alert.Params["text"]
			if alert.Params["chat_id"] != alertChat || !strings.Contains(text, "restart pgkeeper") || !strings.Contains(text, "/status") {
				t.Errorf("degraded alert to %s:\n%s", alert.Params["chat_id"], text)
			}
			if pw := pgtest.Password(t); pw != "" && (strings.Contains(text, pw) || strings.Contains(logs.String(), pw)) {
				t.Error("the database password leaked into the alert or the logs")
			}
			if !strings.Contains(logs.String(), "waiting for the database") {
				t.Errorf("no word of the wait in the logs:\n%s", logs.String())
			}
		})
	}
}
