package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/telegramtest"
)

// Three `pgkeeper serve` instances with one configuration guard ten
// databases and split the work, PostgreSQL (each database's claims) the
// coordinator (#14). Every tick of every database runs exactly once, on
// whichever instance claimed it; more than one instance does the work. One
// instance is killed with SIGKILL in the middle of a dump: the run it owned
// ends as abandoned (found by a survivor), nothing it held blocks anyone,
// and the later ticks of every database run exactly once on the two
// survivors.
func TestInstancesShareTheWork(t *testing.T) {
	started := time.Now()
	api := telegramtest.New(t)
	dir, flags := t.TempDir(), t.TempDir()
	env := map[string]string{"PG_BIN_DIR": holdingTools(t, flags), "BACKUP_DIR": dir,
		"CLEANUP_SCHEDULE": "", "RESTORE_TEST_SCHEDULE": "", "SUMMARY_SCHEDULE": "",
		"BACKUP_PARALLEL": "2", "NOTIFY_SUCCESS": "off", "DB_WATCH_INTERVAL": "off",
		"PGKEEPER_TEST_HEARTBEAT": "250ms", "TELEGRAM_CHAT_ID": alertChat,
		"TELEGRAM_BOT_TOKEN": api.Token, "TELEGRAM_API_URL": api.URL, "TELEGRAM_ADMIN_IDS": "1001"}
	dbs := map[string]string{}
	for i := range 10 {
		name := fmt.Sprintf("db%d", i)
		dbs[name] = pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 40, Days: 3})
		env["DATABASE_URL_"+strings.ToUpper(name)] = dbs[name]
	}
	// A backup of each first: no catch-up backup competes with the ticks.
	// The ticks are twice as far apart as these ten backups took two at a
	// time (at least 5 s): BACKUP_PARALLEL counts on the server across the
	// instances, so three instances run two at a time too, handing slots
	// over between them, and keep up even on a loaded machine, where a
	// tick no instance could start would be lost.
	seeded := time.Now()
	if code, _, stderr := runFleet(t, env, "backup", "--all"); code != 0 {
		t.Fatalf("backup --all: exit %d\n%s", code, stderr)
	}
	tick := max(5*time.Second, 2*time.Since(seeded)).Round(time.Second)
	env["BACKUP_SCHEDULE"] = "@every " + tick.String()
	t.Logf("BACKUP_SCHEDULE=%s", env["BACKUP_SCHEDULE"])
	// The first scheduled dump, whoever runs it, hangs: its instance is
	// killed there.
	if err := os.WriteFile(filepath.Join(flags, "hold"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var procs []*mainProcess
	for range 3 {
		procs = append(procs, startMain(t, env, "serve"))
	}
	t.Cleanup(func() {
		for _, p := range procs {
			if p.cmd.ProcessState == nil {
				_ = p.cmd.Process.Kill()
				_ = p.cmd.Wait()
			}
		}
	})
	var pid int
	procs[0].waitUntil(t, "a held dump", func() bool {
		b, err := os.ReadFile(filepath.Join(flags, "held"))
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil && pid > 0
	})
	victim := slices.IndexFunc(procs, func(p *mainProcess) bool { return p.cmd.Process.Pid == pid })
	if victim < 0 {
		t.Fatalf("the held dump's parent %d is no instance", pid)
	}
	heldDB, heldSlot := runningOf(t, procs[0], dbs, pid)
	if err := procs[victim].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = procs[victim].cmd.Wait()
	survivors := slices.Delete(slices.Clone(procs), victim, victim+1)
	t.Logf("killed instance pid %d in the middle of %s's tick %s", pid, heldDB, heldSlot.Format(time.TimeOnly))

	// Two more ticks of every database, on the survivors; every tick a
	// survivor claimed until then has ended (one that found the previous
	// tick still running waited for it: 30 s between tries).
	last := heldSlot.Add(2 * tick)
	poll(t, "every tick until "+last.Format(time.TimeOnly)+" run to its end", 2*tick+90*time.Second, func() bool {
		for _, url := range dbs {
			if pgtest.QueryInt(t, url, `SELECT count(*) FROM pgkeeper.job_runs
				WHERE job = 'backup' AND slot > $1 AND slot <= $2 AND outcome <> 'running'`, heldSlot, last) < 2 ||
				pgtest.QueryInt(t, url, `SELECT count(*) FROM pgkeeper.schedule_claims c WHERE c.slot <= $1 AND c.claimed_by NOT LIKE $2
				AND NOT EXISTS (SELECT FROM pgkeeper.job_runs r WHERE r.job = 'backup' AND r.slot = c.slot AND r.outcome <> 'running')`,
					last, fmt.Sprintf("%%:%d", pid)) > 0 {
				return false
			}
		}
		return pgtest.QueryInt(t, dbs[heldDB], "SELECT count(*) FROM pgkeeper.job_runs WHERE slot = $1 AND outcome = 'abandoned'", heldSlot) == 1
	})
	stopAll(t, survivors)
	for name, url := range dbs {
		if n := pgtest.QueryInt(t, url, "SELECT count(*) FROM pgkeeper.job_runs WHERE outcome = 'running'"); n != 0 {
			t.Errorf("%s: %d runs still running after every instance stopped", name, n)
		}
	}

	t.Logf("scheduled backups took %s on average, %s at most", pgtest.QueryStrings(t, dbs["db0"],
		"SELECT round(avg(extract(epoch FROM ended_at - started_at)), 2)::text FROM pgkeeper.job_runs WHERE slot IS NOT NULL"),
		pgtest.QueryStrings(t, dbs["db0"], "SELECT round(max(extract(epoch FROM ended_at - started_at)), 2)::text FROM pgkeeper.job_runs WHERE slot IS NOT NULL"))
	killed := fmt.Sprintf("pid %d", pid)
	ran := map[string]bool{} // instances that ran ticks
	for name, url := range dbs {
		runs := slices.DeleteFunc(ticksOf(t, url, name), func(r tickRun) bool { return r.slot.After(last) })
		for i, r := range runs {
			ran[r.instance] = true
			switch {
			case r.count != 1:
				t.Errorf("%s: tick %s ran %d times (%s)", name, r.slot.Format(time.TimeOnly), r.count, r.outcomes)
			case i > 0 && r.slot.Sub(runs[i-1].slot) != tick:
				t.Errorf("%s: no run of the ticks between %s and %s", name, runs[i-1].slot.Format(time.TimeOnly), r.slot.Format(time.TimeOnly))
			case name == heldDB && r.slot.Equal(heldSlot) && r.outcomes != "abandoned":
				t.Errorf("%s: the killed instance's tick ended %s by %q, want abandoned", name, r.outcomes, r.instance)
			case strings.HasSuffix(r.instance, killed) && r.outcomes == "abandoned":
				// Another run the killed instance had going.
			case r.slot.After(heldSlot) && strings.HasSuffix(r.instance, killed):
				t.Errorf("%s: tick %s ran on the killed instance", name, r.slot.Format(time.TimeOnly))
			case r.outcomes != "ok":
				t.Errorf("%s: tick %s ended %s: %s", name, r.slot.Format(time.TimeOnly), r.outcomes, r.errors)
			}
		}
		// Every claim is a tick that was run and recorded, but one the
		// killed instance had claimed and not yet started.
		orphans := pgtest.QueryStrings(t, url, `SELECT c.claimed_by || ' ' || c.slot FROM pgkeeper.schedule_claims c
			WHERE c.job = 'backup:' || $1 AND c.slot <= $2
			  AND NOT EXISTS (SELECT FROM pgkeeper.job_runs r WHERE r.job = 'backup' AND r.slot = c.slot)`, name, last)
		for _, o := range orphans {
			if !strings.Contains(o, fmt.Sprintf(":%d ", pid)) {
				t.Errorf("%s: a tick claimed and never run: %s", name, o)
			}
		}
		if n := pgtest.QueryInt(t, url, "SELECT count(*) FROM pgkeeper.job_runs WHERE trigger = 'schedule' AND slot IS NULL"); n > 0 {
			t.Errorf("%s: %d catch-up backups, yet its backup was fresh", name, n)
		}
	}
	if len(ran) < 3 {
		t.Errorf("the ticks ran on %d instances (%v), want the work spread over all three", len(ran), ran)
	}
	t.Logf("%d instances ran ticks; the test took %s", len(ran), time.Since(started).Round(time.Second))
}
