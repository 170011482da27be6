package jobs

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// Change is a size now and how it moved over a window.
type Change struct {
	Now       int64
	Ago24h    int64 // 0: no sample that old
	Ago7d     int64
	HaveTrend bool
}

// SummaryReport is the daily summary: the state of backups, restore tests and
// cleanups, sizes and their trend, and anything that needs a look.
type SummaryReport struct {
	At            time.Time
	LastBackup    *Manifest
	Kept          Tally // what each retention tier keeps
	Policy        Retention
	LastRestore   *RestoreProof
	RestoredFrom  string         // backup the last restore test used
	Remotes       []RemoteStatus // copies per remote, from the status report
	LastRuns      map[string]vocab.Run
	DatabaseBytes Change
	KeysBytes     Change
	Findings      []Finding
}

// Summary builds the daily summary from a fresh status report, the backups on
// disk and the run history.
type Summary struct {
	Status    *Status
	History   *History
	BackupDir string
	Retention Retention
	Now       func() time.Time
}

// Run builds the summary. It never fails: what it cannot learn, it leaves out.
func (s *Summary) Run(ctx context.Context) SummaryReport {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	r := SummaryReport{At: now(), Policy: s.Retention}
	st := s.Status.Run(ctx)
	r.Findings, r.Remotes = st.Findings, st.Remotes
	if s.History != nil {
		if s.Status.History == nil { // otherwise the status report sampled itself
			s.History.SampleStatus(ctx, st)
		}
		r.LastRuns, _ = s.History.LastRuns(ctx)
		r.Findings = append(r.Findings, failedLastRuns(r.LastRuns, r.At)...)
		since := r.At.Add(-8 * 24 * time.Hour)
		if samples, err := s.History.Samples(ctx, since, store.MetricDatabaseBytes, store.MetricKeysTableBytes); err == nil {
			r.DatabaseBytes = trend(samples, store.MetricDatabaseBytes, r.At)
			r.KeysBytes = trend(samples, store.MetricKeysTableBytes, r.At)
		}
	}
	listing, _ := (Catalog{Dir: s.BackupDir, DB: s.Status.DB}).List(ctx)
	backups := listing.Backups
	if len(backups) > 0 {
		r.LastBackup = &backups[0]
	}
	r.Kept = s.Retention.Tally(s.Retention.Apply(backups))
	for _, b := range backups {
		for i := range b.RestoreTests {
			p := b.RestoreTests[i]
			if r.LastRestore == nil || p.At.After(r.LastRestore.At) {
				r.LastRestore, r.RestoredFrom = &p, b.Name
			}
		}
	}
	return r
}

// failedLastRuns is a critical finding for each job whose last run failed or
// was abandoned: the summary counts them as what they are.
func failedLastRuns(last map[string]vocab.Run, at time.Time) []Finding {
	names := make([]string, 0, len(last))
	for name, run := range last {
		if run.Outcome.Failed() {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var out []Finding
	for _, name := range names {
		run := last[name]
		what := "failed"
		if run.Outcome == vocab.OutcomeAbandoned {
			what = "was abandoned (its process stopped before it ended)"
		}
		out = append(out, Finding{Level: LevelCritical, Text: fmt.Sprintf("the last %s run, %s ago, %s: /history says more",
			name, humanize.Duration(at.Sub(run.StartedAt)), what)})
	}
	return out
}

// trend reads a metric's latest value and its values about 24 h and 7 d
// before at (the nearest sample at or before each mark).
func trend(samples []store.Sample, metric string, at time.Time) Change {
	var c Change
	var latest time.Time
	for _, s := range samples {
		if s.Metric != metric {
			continue
		}
		if !s.At.After(at.Add(-24 * time.Hour)) {
			c.Ago24h = s.Value
		}
		if !s.At.After(at.Add(-7 * 24 * time.Hour)) {
			c.Ago7d = s.Value
		}
		if s.At.After(latest) || s.At.Equal(latest) {
			latest, c.Now = s.At, s.Value
		}
	}
	c.HaveTrend = c.Ago24h > 0 || c.Ago7d > 0
	return c
}
