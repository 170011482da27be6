package main

import (
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/telegramtest"
)

// `pgkeeper serve --db NAME` guards that one database of several, as a
// serve with DATABASE_URL set to it does: its schema is made there and
// nowhere else; SIGTERM stops it cleanly.
func TestServeOneOfSeveral(t *testing.T) {
	api := telegramtest.New(t)
	app, crm := pgtest.NewDB(t), pgtest.NewDB(t)
	env := map[string]string{"DATABASE_URL_APP": app, "DATABASE_URL_CRM": crm, "PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": t.TempDir(),
		"TELEGRAM_BOT_TOKEN": api.Token, "TELEGRAM_API_URL": api.URL, "TELEGRAM_ADMIN_IDS": "1001",
		"BACKUP_SCHEDULE": "", "CLEANUP_SCHEDULE": "", "RESTORE_TEST_SCHEDULE": "", "SUMMARY_SCHEDULE": ""}
	schema := "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgkeeper'"
	p := startMain(t, env, "serve", "--db", "crm")
	// Running: its bot polls for updates, its schedules are set.
	p.waitUntil(t, "serve polling Telegram", func() bool { return api.Count("getUpdates") > 0 })
	if n := pgtest.QueryInt(t, crm, schema); n != 1 {
		t.Errorf("serve --db crm did not make pgkeeper's schema in crm")
	}
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit %d after SIGTERM\n%s\n%s", code, p.stdout.String(), p.stderr.String())
	}
	if n := pgtest.QueryInt(t, app, schema); n != 0 {
		t.Error("serve --db crm made pgkeeper's schema in app")
	}
	if !strings.Contains(p.stderr.String(), "database="+dbOf(t, crm)) {
		t.Errorf("the start does not name crm's database:\n%s", p.stderr.String())
	}
}
