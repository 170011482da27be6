package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// `pgkeeper serve` with several databases guards every one (#14): two
// named, one discovered on a server, one dropped. Each with no backup yet
// gets its catch-up backup in its own BACKUP_DIR/<name>, one at a time on
// the server (BACKUP_PARALLEL=1); the dropped one starts degraded alone,
// and the alert chat hears of it by its name through the state database's
// outbox; SIGTERM stops them all cleanly. The server's roles are dumped
// once for the three backups, each keeping the same roles file.
func TestServeGuardsEveryDatabase(t *testing.T) {
	api := telegramtest.New(t)
	app, crm := pgtest.NewDB(t), pgtest.NewDB(t)
	pgtest.NewNamedDB(t, "srvall_billing")
	dir := t.TempDir()
	bin, dumpall := countingDumpall(t)
	env := map[string]string{"DATABASE_URL_APP": app, "DATABASE_URL_CRM": crm, "DATABASE_URL_DOWN": droppedDB(t, "srvall_down"),
		"DATABASE_SERVER_MAIN": pgtest.AdminURL(t), "DATABASE_SERVER_MAIN_EXCLUDE": othersOnServer(t, "srvall_billing"),
		"PGKEEPER_STATE_URL": app, "BACKUP_PARALLEL": "1", "STARTUP_DB_WAIT": "2s",
		"PG_BIN_DIR": bin, "BACKUP_DIR": dir, "TELEGRAM_CHAT_ID": alertChat,
		"TELEGRAM_BOT_TOKEN": api.Token, "TELEGRAM_API_URL": api.URL, "TELEGRAM_ADMIN_IDS": "1001",
		"BACKUP_SCHEDULE": "0 3 * * *", "CLEANUP_SCHEDULE": "", "RESTORE_TEST_SCHEDULE": "", "SUMMARY_SCHEDULE": ""}
	p := startMain(t, env, "serve")
	guarded := []string{"app", "crm", "srvall_billing"}
	p.waitUntil(t, "a catch-up backup of each database", func() bool {
		for _, name := range guarded {
			if paths, _ := filepath.Glob(filepath.Join(dir, name, "*.manifest.json")); len(paths) == 0 {
				return false
			}
		}
		return true
	})
	p.waitUntil(t, "the alert naming the dropped database", func() bool {
		return api.SentContaining("<code>down</code>") > 0
	})
	// The chat serves every database guarded at start: /status is their overview.
	api.SendText(1001, "/status")
	p.waitUntil(t, "the chat's overview of every database", func() bool {
		return api.SentContaining("/status NAME") > 0
	})
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit %d after SIGTERM\n%s\n%s", code, p.stdout.String(), p.stderr.String())
	}
	var spans [][2]time.Time
	roles := map[string]bool{}
	for _, name := range guarded {
		ms := verifiedManifests(t, filepath.Join(dir, name))
		if len(ms) != 1 {
			t.Fatalf("%s: %d verified backups, want its catch-up", name, len(ms))
		}
		spans = append(spans, [2]time.Time{ms[0].Start, ms[0].End})
		if ms[0].Globals == "" || fileSHA256(t, filepath.Join(dir, name, ms[0].Globals)) != ms[0].GlobalsSHA256 {
			t.Errorf("%s: roles file %q (%s), sha256 in the manifest %s", name, ms[0].Globals, ms[0].GlobalsNote, ms[0].GlobalsSHA256)
		}
		roles[ms[0].GlobalsSHA256] = true
	}
	if logged, _ := os.ReadFile(dumpall); strings.Count(string(logged), "\n") != 1 || len(roles) != 1 {
		t.Errorf("roles dumped %d times, %d different roles files, want one of each:\n%s",
			strings.Count(string(logged), "\n"), len(roles), logged)
	}
	for i := range spans {
		for j := i + 1; j < len(spans); j++ {
			if spans[i][0].Before(spans[j][1]) && spans[j][0].Before(spans[i][1]) {
				t.Errorf("BACKUP_PARALLEL=1, yet %s's and %s's backups overlapped", guarded[i], guarded[j])
			}
		}
	}
	if n := api.SentContaining("started without its database"); n != 1 {
		t.Errorf("%d degraded alerts, want down's alone", n)
	}
	for _, url := range []string{app, crm} {
		if n := pgtest.QueryInt(t, url, "SELECT count(*) FROM pgkeeper.job_runs WHERE job = 'backup' AND outcome = 'ok'"); n != 1 {
			t.Errorf("%s's own history has %d good backups, want 1", dbOf(t, url), n)
		}
	}
}
