package render

import (
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// The overview is one line per database, worst first, each with its
// health, newest backup's age, last restore test and keys expired.
func TestStatusOverview(t *testing.T) {
	at := time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)
	healthy := sampleReport()
	healthy.At, healthy.Findings = at, nil
	healthy.LastBackup = &jobs.Manifest{Start: at.Add(-5 * time.Hour)}
	healthy.LastRuns = map[string]vocab.Run{vocab.JobRestoreTest: {Outcome: vocab.OutcomeOK, EndedAt: at.Add(-26 * time.Hour)}}
	warned := sampleReport()
	warned.At = at
	warned.Keys.SampledPercent = 0 // exact: no ≈
	down := jobs.StatusReport{At: at, Database: jobs.DatabaseStatus{Error: "connect: refused\nmore"},
		Findings: []jobs.Finding{{Level: jobs.LevelCritical, Text: "database unreachable"}}}
	o := jobs.NewOverview(at, []jobs.OverviewRow{
		{Name: "app", Report: healthy}, {Name: "crm", Report: warned}, {Name: "sales", Report: down},
		{Name: "fleet_dup", Error: `database "fleet-dup" on db3:5432 would be called fleet_dup`},
	})
	want := `[crit] pgkeeper status · 4 databases
[crit] fleet_dup · database "fleet-dup" on db3:5432 would be called fleet_dup
[crit] sales · unreachable: connect: refused more · no verified backup · no restore test
[warn] crm · pg_restore 14.0 cannot handle server 15.18: install postgresql-client-15 or set PG_BIN_DIR · no verified backup · no restore test · keys expired 900
[ok]   app · healthy · newest backup 5 h 0 min ago · restore test ok 26 h 0 min ago · keys expired ≈900

2026-11-30 03:00:00 UTC · the full report of one: --db NAME`
	if got := StatusOverview(o, Plain); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	chat := StatusOverviewHint(o, HTML, "/status NAME")
	if !strings.HasSuffix(chat, "the full report of one: /status NAME") || !strings.Contains(chat, "<code>sales</code>") {
		t.Errorf("the chat's overview:\n%s", chat)
	}
	if o.Level() != jobs.LevelCritical {
		t.Errorf("level %v, want critical", o.Level())
	}
}
