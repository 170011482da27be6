package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/store"
)

// killedMidRestore runs pgkeeper with args, its pg_restore restoring and then
// hanging (until pgkeeper is gone), and kills it with SIGKILL there: nothing
// of pgkeeper's own cleanup runs. It returns once the killed process's
// sessions are gone, so that its heavy-job lock is free again.
func killedMidRestore(t *testing.T, env map[string]string, args ...string) {
	t.Helper()
	marker := filepath.Join(t.TempDir(), "restored")
	real := filepath.Join(pgtest.BinDir(t), "pg_restore")
	slow := map[string]string{}
	for k, v := range env {
		slow[k] = v
	}
	slow["PG_BIN_DIR"] = pgtest.ToolsDir(t, map[string]string{"pg_restore": "if [ \"$1\" = --version ]; then exec \"" + real +
		"\" --version; fi\n\"" + real + "\" \"$@\"\ntouch " + marker + "\nwhile kill -0 $PPID 2>/dev/null; do sleep 0.1; done\n"})
	p := startMain(t, slow, args...)
	p.waitUntil(t, "pg_restore finishing its restore", func() bool { _, err := os.Stat(marker); return err == nil })
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
	url := env["DATABASE_URL"]
	deadline := time.Now().Add(30 * time.Second)
	for pgtest.QueryInt(t, url, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the killed process's lock is still held after 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// scratchCount counts the scratch databases of the database at url.
func scratchCount(t *testing.T, url string) int64 {
	t.Helper()
	name := url[strings.LastIndex(url, "/")+1:]
	name, _, _ = strings.Cut(name, "?")
	return pgtest.QueryInt(t, pgtest.AdminURL(t), "SELECT count(*) FROM pg_database WHERE starts_with(datname, $1)", store.ScratchPrefix(name))
}

func adminServer(t *testing.T) *store.Server {
	t.Helper()
	srv, err := store.OpenServer(pgtest.AdminURL(t), "")
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// A restore test killed with SIGKILL leaves its scratch database. /status
// shows it as a leftover; the next restore test drops it, minutes old as it
// is, and its report names it; another live database's scratch database is
// left alone.
func TestRestoreTestKilledLeavesScratch(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 2000, Days: 10})
	env := map[string]string{"DATABASE_URL": url, "PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": t.TempDir()}
	if code, _, stderr := runCLI(t, env, "backup"); code != exitOK {
		t.Fatalf("backup: exit %d: %s", code, stderr)
	}
	live := url[strings.LastIndex(url, "/")+1:]
	live, _, _ = strings.Cut(live, "?")
	srv := adminServer(t)
	other := store.ScratchName(live+"_b", time.Now().Add(-time.Minute))
	if err := srv.CreateDatabase(context.Background(), other, store.Locale{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.DropDatabase(context.Background(), other) })

	killedMidRestore(t, env, "restore-test")
	left, err := srv.ScratchDatabases(context.Background(), live)
	if err != nil || len(left) != 1 {
		t.Fatalf("after SIGKILL: scratch databases %+v (%v), want the killed test's one", left, err)
	}
	scratch := left[0].Name
	t.Cleanup(func() { srv.DropDatabase(context.Background(), scratch) })

	_, out, _ := runCLI(t, env, "status")
	t.Logf("status:\n%s", out)
	if !strings.Contains(out, "leftover scratch database "+scratch) || !strings.Contains(out, "The next restore test drops it") {
		t.Errorf("status does not show the leftover %s:\n%s", scratch, out)
	}
	code, out, stderr := runCLI(t, env, "restore-test")
	if code != exitOK || !strings.Contains(out, "swept a leftover scratch database: "+scratch) {
		t.Errorf("the next restore test: exit %d, its report does not name %s:\n%s\n%s", code, scratch, out, stderr)
	}
	if n := scratchCount(t, url); n != 0 {
		t.Errorf("%d scratch databases left after the next restore test", n)
	}
	if ok, _ := srv.DatabaseExists(context.Background(), other); !ok {
		t.Errorf("%s, another live database's scratch database, was dropped", other)
	}
}

// A `restore --into` killed with SIGKILL leaves its new database marked as
// an interrupted restore; a rerun's refusal says what it is, since when and
// how to drop it; status and check warn; a recovery that passes leaves no
// mark.
func TestRestoreIntoKilledLeavesMark(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 2000, Days: 10})
	env := map[string]string{"DATABASE_URL": url, "PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": t.TempDir()}
	if code, _, stderr := runCLI(t, env, "backup"); code != exitOK {
		t.Fatalf("backup: exit %d: %s", code, stderr)
	}
	live := url[strings.LastIndex(url, "/")+1:]
	live, _, _ = strings.Cut(live, "?")
	into := live + "_new"
	srv := adminServer(t)
	t.Cleanup(func() { srv.DropDatabase(context.Background(), into) })

	killedMidRestore(t, env, "restore", "--into", into, "--yes")
	comment, err := srv.DatabaseComment(context.Background(), into)
	if err != nil || !strings.HasPrefix(comment, "pgkeeper: restore in progress since ") || !strings.HasSuffix(comment, "incomplete until verified") {
		t.Fatalf("the killed recovery's database says %q (%v)", comment, err)
	}

	drop := `DROP DATABASE "` + into + `"`
	for _, args := range [][]string{{"restore", "--into", into}, {"restore", "--into", into, "--yes"}} {
		code, _, stderr := runCLI(t, env, args...)
		t.Logf("%v:\n%s", args, stderr)
		if code != exitFailed || !strings.Contains(stderr, "interrupted restore") || !strings.Contains(stderr, comment) ||
			!strings.Contains(stderr, drop) || !strings.Contains(stderr, " ago") {
			t.Errorf("%v: exit %d, the refusal does not say what %s is, since when and how to drop it:\n%s", args, code, into, stderr)
		}
	}
	_, out, _ := runCLI(t, env, "status")
	if !strings.Contains(out, "database "+into+" on ") || !strings.Contains(out, "is an interrupted restore") || !strings.Contains(out, drop) {
		t.Errorf("status does not warn about %s:\n%s", into, out)
	}
	_, out, _ = runCLI(t, env, "check")
	t.Logf("check:\n%s", out)
	if !strings.Contains(out, "warn  leftovers") || !strings.Contains(out, into+" on ") {
		t.Errorf("check does not warn about %s:\n%s", into, out)
	}

	if err := srv.DropDatabase(context.Background(), into); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := runCLI(t, env, "restore", "--into", into, "--yes"); code != exitOK {
		t.Fatalf("recovery after the drop: exit %d\n%s\n%s", code, out, stderr)
	}
	if comment, err := srv.DatabaseComment(context.Background(), into); err != nil || comment != "" {
		t.Errorf("a verified recovery still says %q (%v)", comment, err)
	}
	if _, out, _ := runCLI(t, env, "check"); !strings.Contains(out, "ok    leftovers") {
		t.Errorf("check still warns after a verified recovery:\n%s", out)
	}
}
