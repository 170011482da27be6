package jobs_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/internal/testkit/logtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// process is a pgkeeper process of its own on a shared database: its own
// pool, and a History beating every few milliseconds.
func process(t *testing.T, url, name string, now time.Time) (*jobs.History, *store.DB) {
	t.Helper()
	db, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return &jobs.History{DB: db, Schema: "keeper", Heartbeat: 10 * time.Millisecond, Instance: name,
		Now: func() time.Time { return now }}, db
}

// waitFor polls cond until it holds, failing after a generous bound.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s never happened", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A run whose process died (its connection gone, its heartbeat stopped) is
// marked abandoned at the next run's start, with when and by what; a live
// run of another instance that still beats is left alone however old it is;
// and the abandoned run counts as a failure: in /history, /status, the
// summary and the metrics' observer. A running run is shown as running, not
// as a success.
func TestDeadRunIsAbandonedAtTheNextStart(t *testing.T) {
	url := pgtest.NewDB(t)
	// Checked after every pool below is closed (cleanups run last first):
	// no heartbeat may outlive its run.
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	if err := openDB(t, url).Migrate(t.Context(), "keeper"); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	now := time.Now()
	beating := func(id int64) bool {
		return pgtest.QueryInt(t, url, "SELECT count(*) FROM keeper.job_runs WHERE id = $1 AND heartbeat_at > now() - interval '1 minute'", id) == 1
	}

	// Another instance's run, started 30 days ago by its clock, beats.
	other, _ := process(t, url, "other", now.Add(-30*24*time.Hour))
	live := other.Start(ctx, "cleanup", vocab.TriggerSchedule)
	liveID := lastRunID(t, url, "cleanup")

	// The doomed process beats, then dies: its connections are cut.
	doomed, doomedDB := process(t, url, "doomed", now.Add(-time.Hour))
	dead := doomed.Start(ctx, "backup", vocab.TriggerSchedule)
	deadID := lastRunID(t, url, "backup")
	beat := func(id int64) int64 {
		return pgtest.QueryInt(t, url, "SELECT (extract(epoch FROM heartbeat_at) * 1e6)::bigint FROM keeper.job_runs WHERE id = $1", id)
	}
	first := beat(deadID)
	waitFor(t, "a heartbeat", func() bool { return beat(deadID) > first })
	doomedDB.Close()
	// It died an hour ago: its last sign of life is that old.
	pgtest.Exec(t, url, "UPDATE keeper.job_runs SET heartbeat_at = heartbeat_at - interval '1 hour' WHERE id = $1", deadID)

	// The live one was silent as long, and beats again.
	pgtest.Exec(t, url, "UPDATE keeper.job_runs SET heartbeat_at = heartbeat_at - interval '1 hour' WHERE id = $1", liveID)
	waitFor(t, "the live run beating again", func() bool { return beating(liveID) })

	// The next run starts here, with the default bound of three beats.
	sweeper, _ := process(t, url, "host h pid 7", now)
	sweeper.Heartbeat = 0
	obs := &observed{}
	sweeper.Observer = obs
	next := sweeper.Start(ctx, "summary", vocab.TriggerSchedule)

	runs := runsByID(t, sweeper)
	d, l := runs[deadID], runs[liveID]
	if d.Outcome != "abandoned" || d.AbandonedAt.IsZero() || d.AbandonedBy != "the start of a summary run (schedule) on host h pid 7" ||
		!d.EndedAt.Equal(d.HeartbeatAt) || !strings.Contains(d.Error, "found") {
		t.Errorf("dead run = %+v", d)
	}
	if l.Outcome != "running" || !l.Running() {
		t.Errorf("another instance's live run was touched: %+v", l)
	}
	if got := obs.String(); got != "backup failed" {
		t.Errorf("the observer (metrics) heard %q; want the abandoned backup as a failure", got)
	}

	rep, err := sweeper.Report(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []render.Format{render.HTML, render.Plain} {
		out := render.History(rep, f)
		for _, line := range strings.Split(out, "\n") {
			switch {
			case strings.Contains(line, "backup · schedule · abandoned"):
				if !strings.HasPrefix(line, map[render.Format]string{render.HTML: "🔴", render.Plain: "[crit]"}[f]) {
					t.Errorf("abandoned run not marked as a failure: %q", line)
				}
			case strings.Contains(line, "cleanup · schedule · running"), strings.Contains(line, "summary · schedule · running"):
				if strings.HasPrefix(line, "✅") || strings.HasPrefix(line, "[ok]") {
					t.Errorf("a running run is marked as a success: %q", line)
				}
			}
		}
		if !strings.Contains(out, "backup · schedule · abandoned") || !strings.Contains(out, "found") {
			t.Errorf("/history does not show the abandoned run and who found it:\n%s", out)
		}
	}

	last, err := sweeper.LastRuns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st := render.Status(jobs.StatusReport{At: now, LastRuns: last}, render.HTML)
	if !strings.Contains(st, "🔴 <code>backup</code> abandoned") {
		t.Errorf("/status does not show the abandoned backup as a failure:\n%s", st)
	}
	sum := (&jobs.Summary{Status: statusJob(sweeper.DB, pgtest.BinDir(t), now), History: sweeper, Now: func() time.Time { return now }}).Run(ctx)
	if !strings.Contains(render.Summary(sum, render.HTML), "🔴 the last backup run") ||
		!strings.HasPrefix(render.Summary(sum, render.HTML), "🔴") {
		t.Errorf("the summary does not count the abandoned backup as failed:\n%s", render.Summary(sum, render.HTML))
	}

	live.Finish(ctx, nil, "", nil)
	next.Finish(ctx, nil, "", nil)
	dead.Finish(ctx, nil, "", errors.New("unrecorded: its database is gone")) // stops the dead heartbeat
}

// A run that stays silent past the bound because its database was away, and
// then records its real end, replaces the abandoned mark: the real end is
// the truth. Finish retries a transient failure to record it.
func TestRealEndReplacesTheAbandonedMark(t *testing.T) {
	url := pgtest.NewDB(t)
	if err := openDB(t, url).Migrate(t.Context(), "keeper"); err != nil {
		t.Fatal(err)
	}
	gate := pgtest.NewGate(t, url)
	gate.Open()
	ctx := t.Context()
	logs := &logtest.Buffer{}
	h, _ := process(t, gate.URL(), "survivor", time.Now())
	h.Logger = slog.New(slog.NewTextHandler(logs, nil))
	rec := h.Start(ctx, "backup", vocab.TriggerShell)
	id := lastRunID(t, url, "backup")

	// The database restarts: connections are cut and refused for a while.
	gate.Close()
	pgtest.Exec(t, url, "UPDATE keeper.job_runs SET heartbeat_at = now() - interval '1 hour' WHERE id = $1", id)
	sweeper, _ := process(t, url, "sweeper", time.Now())
	if got := sweeper.AbandonDead(ctx, "serve start"); len(got) != 1 || got[0].ID != id {
		t.Fatalf("AbandonDead = %+v", got)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		rec.Finish(ctx, nil, vocab.OutcomeOK, nil)
	}()
	waitFor(t, "a retry of the end", func() bool { return strings.Contains(logs.String(), "retrying") })
	gate.Open()
	<-done
	r := runsByID(t, sweeper)[id]
	if r.Outcome != "ok" || r.AbandonedBy != "" || r.Error != "" {
		t.Errorf("the real end did not replace the mark: %+v\n%s", r, logs.String())
	}
}

// A job that panics under a Recording (the bot recovers from it and lives
// on) is recorded as failed, and its heartbeat stops with it.
func TestPanickingRunEndsItsRecording(t *testing.T) {
	h := historyOn(t)
	h.Heartbeat = 10 * time.Millisecond
	ignore := goleak.IgnoreCurrent()
	func() {
		defer func() {
			if p := recover(); p != "kaboom" {
				t.Errorf("recovered %v, want the job's own panic", p)
			}
		}()
		rec := h.Start(t.Context(), "backup", vocab.TriggerShell)
		defer rec.EndIfPanicking(t.Context())
		panic("kaboom")
	}()
	goleak.VerifyNone(t, ignore)
	if rep, _ := h.Report(t.Context(), 1); len(rep.Runs) != 1 || rep.Runs[0].Outcome != "failed" || rep.Runs[0].Error != "panic: kaboom" {
		t.Fatalf("runs = %+v", rep.Runs)
	}
}

func lastRunID(t *testing.T, url, job string) int64 {
	t.Helper()
	return pgtest.QueryInt(t, url, "SELECT max(id) FROM keeper.job_runs WHERE job = $1", job)
}

func runsByID(t *testing.T, h *jobs.History) map[int64]vocab.Run {
	t.Helper()
	rep, err := h.Report(t.Context(), 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]vocab.Run{}
	for _, r := range rep.Runs {
		out[r.ID] = r
	}
	return out
}
