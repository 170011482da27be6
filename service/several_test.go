package service

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/pgkeeper/pgkeeper/internal/slots"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// One serve guarding several databases (#14): three on one server with
// BACKUP_PARALLEL=1, and a fourth that goes down. One scheduled tick backs
// up each of the three, each recorded in its own history, never two at once
// on their server; the fourth's outage stops none of them, and the one chat
// hears of it by its name.
func TestSeveralDatabasesOneTick(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2026, 3, 1, 2, 59, 30, 0, time.UTC))
	servers := slots.New(1)
	told := &notices{}
	env := map[string]string{"BACKUP_SCHEDULE": "* * * * *", "CLEANUP_SCHEDULE": "", "RESTORE_TEST_SCHEDULE": "",
		"SUMMARY_SCHEDULE": "", "DB_WATCH_INTERVAL": "5s"}
	var up []*Service
	var down *Service
	gate := pgtest.NewGate(t, pgtest.NewDB(t))
	gate.Open()
	for _, name := range []string{"app", "crm", "billing", "down"} {
		url := gate.URL()
		if name != "down" {
			url = pgtest.NewDB(t)
		}
		s := newService(t, url, env)
		parts, _ := store.ParseURL(url)
		s.Name, s.Slots, s.Server, s.Clock, s.Notifier = name, servers, parts.Server, clock, told
		if name == "down" {
			down = s
		} else {
			up = append(up, s)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for _, s := range append(up, down) {
		sched, err := s.scheduler(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sched.Start()
		t.Cleanup(func() { _ = sched.Shutdown() })
	}
	hub, events := mockHub(t)
	down.Hub = hub
	gate.Close()
	wg.Add(1)
	go func() { defer wg.Done(); down.watchDatabase(ctx) }()

	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	if err := clock.BlockUntilContext(wctx, 4); err != nil {
		t.Fatalf("the four schedulers are not all waiting for their minute: %v", err)
	}
	clock.Advance(time.Minute)

	deadline := time.Now().Add(90 * time.Second)
	for _, s := range up {
		for {
			runs, err := s.History.Report(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(runs.Runs) > 0 && runs.Runs[0].Outcome != vocab.OutcomeRunning {
				if len(runs.Runs) != 1 || runs.Runs[0].Job != vocab.JobBackup || runs.Runs[0].Outcome != "ok" {
					t.Fatalf("%s's history: %+v", s.Name, runs.Runs)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no scheduled backup ended in its history", s.Name)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// From the manifests: no two backups of the server overlapped.
	type span struct {
		name       string
		start, end time.Time
	}
	var spans []span
	for _, s := range up {
		l, err := s.Jobs.Catalog.List(ctx)
		if err != nil || len(l.Backups) != 1 || !l.Backups[0].Verified {
			t.Fatalf("%s: backups %+v, %v", s.Name, l.Backups, err)
		}
		spans = append(spans, span{s.Name, l.Backups[0].Start, l.Backups[0].End})
	}
	for i, a := range spans {
		for _, b := range spans[i+1:] {
			if a.start.Before(b.end) && b.start.Before(a.end) {
				t.Errorf("with BACKUP_PARALLEL=1 %s's backup (%s–%s) overlapped %s's (%s–%s)",
					a.name, a.start, a.end, b.name, b.start, b.end)
			}
		}
	}
	// The down database is alerted, headed with its name.
	for {
		told.mu.Lock()
		var got []string
		for _, h := range told.html {
			if strings.HasPrefix(h, "🗄 <code>down</code>\n") {
				got = append(got, h)
			}
		}
		all := strings.Join(told.html, "\n---\n")
		told.mu.Unlock()
		if len(got) > 0 {
			break
		}

		if time.Now().After(deadline) {
			t.Fatalf("no alert named down:\n%s", all)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Sentry hears of it, tagged with the database.
	var tagged bool
	for _, e := range events.Events() {
		tagged = tagged || e.Tags["database"] == "down"
	}
	if !tagged {
		t.Errorf("no Sentry event tagged database=down: %d events", len(events.Events()))
	}
}
