package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/logtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/telegramtest"
)

// serve finds a server's databases again before each scheduled backup: one
// made since is guarded (its catch-up backs it up), one dropped is told once,
// by name, and dropped; the others run on. The new one's name needs quoting
// (a space, upper case, a dash).
func TestServeRediscovers(t *testing.T) {
	old := rediscoverEvery
	rediscoverEvery = 300 * time.Millisecond
	t.Cleanup(func() { rediscoverEvery = old })
	api := telegramtest.New(t)
	app := pgtest.NewDB(t)
	pgtest.NewNamedDB(t, "srvre_one")
	dir := t.TempDir()
	env := map[string]string{"DATABASE_URL_APP": app, "PGKEEPER_STATE_URL": app,
		"DATABASE_SERVER_MAIN": pgtest.AdminURL(t), "DATABASE_SERVER_MAIN_EXCLUDE": othersOnServer(t, "srvre_one", "Srvre Two-X"),
		"PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": dir, "TELEGRAM_CHAT_ID": alertChat,
		"TELEGRAM_BOT_TOKEN": api.Token, "TELEGRAM_API_URL": api.URL, "TELEGRAM_ADMIN_IDS": "1001",
		"BACKUP_SCHEDULE": "0 3 * * *", "CLEANUP_SCHEDULE": "", "RESTORE_TEST_SCHEDULE": "", "SUMMARY_SCHEDULE": ""}
	t.Chdir(t.TempDir())
	for k, v := range env { // run finds DATABASE_URL_<NAME> and the like among the environment's names
		t.Setenv(k, v)
	}
	logs := &logtest.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, logs, logs)
	}()
	stopped := false
	t.Cleanup(func() {
		cancel()
		if !stopped {
			<-done
		}
	})
	backedUp := func(name string) func() bool {
		return func() bool {
			paths, _ := filepath.Glob(filepath.Join(dir, name, "*.manifest.json"))
			return len(paths) > 0
		}
	}
	waitFor(t, "srvre_one's catch-up backup", logs, backedUp("srvre_one"))
	pgtest.NewNamedDB(t, "Srvre Two-X")
	waitFor(t, "Srvre Two-X, made since, backed up as srvre_two_x", logs, backedUp("srvre_two_x"))
	if ms := verifiedManifests(t, filepath.Join(dir, "srvre_two_x")); len(ms) != 1 || ms[0].Database != "Srvre Two-X" {
		t.Errorf("srvre_two_x: manifests %+v, want one of \"Srvre Two-X\"", ms)
	}
	pgtest.Exec(t, pgtest.AdminURL(t), `DROP DATABASE srvre_one WITH (FORCE)`)
	waitFor(t, "srvre_one told gone", logs, func() bool { return api.SentContaining("<code>srvre_one</code>\n⚪") > 0 })
	time.Sleep(time.Second) // a few more rounds: it is told once
	if n := api.SentContaining("<code>srvre_one</code>\n⚪"); n != 1 {
		t.Errorf("srvre_one told gone %d times, want once", n)
	}
	for _, c := range api.Calls("sendMessage") {
		if text := c.Params["text"]; strings.Contains(text, "<code>srvre_two_x</code>") && (strings.Contains(text, "🔴") || strings.Contains(text, "⚪")) {
			t.Errorf("srvre_two_x, which is well, is alerted:\n%s", text)
		}
	}
	cancel()
	select {
	case code := <-done:
		stopped = true
		if code != 0 {
			t.Errorf("exit %d:\n%s", code, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// waitFor polls ok for up to a minute, or fails showing the logs.
func waitFor(t *testing.T, what string, logs *logtest.Buffer, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s never happened:\n%s", what, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
