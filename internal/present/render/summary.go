package render

import (
	"fmt"
	"sort"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// Summary renders the daily summary.
func Summary(r jobs.SummaryReport, f Format) string {
	d := &doc{f: f}
	lvl := jobs.LevelOK
	for _, x := range r.Findings {
		lvl = max(lvl, x.Level)
	}
	d.line(d.mark(lvl), d.bold("Daily summary · "+r.At.UTC().Format("2006-01-02")))
	d.findings(r.Findings)
	d.heading("Backups")
	if b := r.LastBackup; b != nil {
		d.line(d.mark(jobs.LevelOK), d.esc(fmt.Sprintf("last %s ago · %s · %s · verified",
			humanize.Duration(r.At.Sub(b.Start)), b.Kind, humanize.Bytes(b.CompressedBytes))))
		if c := b.Copy; c != nil && !c.OK {
			d.line(d.mark(jobs.LevelWarn), d.esc("its copy off this machine FAILED: "+c.Detail))
		}
	} else {
		d.line(d.mark(jobs.LevelWarn), d.esc("no verified backup"))
	}
	d.text(tally(r.Kept))
	summaryRemotes(d, r)
	if p := r.LastRestore; p != nil {
		lvl, word := jobs.LevelOK, "passed"
		if !p.OK {
			lvl, word = jobs.LevelCritical, "FAILED"
		}
		line := fmt.Sprintf("restore test %s %s ago", word, humanize.Duration(r.At.Sub(p.At)))
		if p.OK { // a failed test measured no recovery time
			line += " · RTO " + humanize.Duration(p.RTO)
		}
		d.line(d.mark(lvl), d.esc(line))
	} else {
		d.line(d.mark(jobs.LevelWarn), d.esc("no restore test yet: /restore_test"))
	}
	if run, ok := r.LastRuns[vocab.JobCleanup]; ok {
		ago := humanize.Duration(r.At.Sub(run.StartedAt))
		d.line(d.outcomeMark(run.Outcome), d.esc(fmt.Sprintf("last cleanup %s ago: %s", ago, run.Outcome)))
	}
	d.heading("Sizes")
	d.text("database " + change(r.DatabaseBytes))
	d.text("keys table " + change(r.KeysBytes))
	return d.String()
}

func change(c jobs.Change) string {
	if c.Now == 0 {
		return "not measured yet"
	}
	s := humanize.Bytes(c.Now)
	delta := func(old int64, label string) string {
		if old == 0 {
			return ""
		}
		sign := "+"
		if c.Now < old {
			sign = "−"
		}
		diff := c.Now - old
		if diff < 0 {
			diff = -diff
		}
		return fmt.Sprintf(" · %s%s in %s", sign, humanize.Bytes(diff), label)
	}
	return s + delta(c.Ago24h, "24 h") + delta(c.Ago7d, "7 d")
}

// History renders the last runs, newest first.
func History(r jobs.HistoryReport, f Format) string {
	d := &doc{f: f}
	d.line(d.bold(fmt.Sprintf("Last %d runs", len(r.Runs))))
	if len(r.Runs) == 0 {
		d.text("Nothing has run yet.")
	}
	historyRows(d, r.Runs)
	return d.String()
}

// historyRows is one line per run (and its error's first line under it).
func historyRows(d *doc, runs []vocab.Run) {
	for _, run := range runs {
		took := "running"
		switch {
		case run.Outcome == vocab.OutcomeAbandoned:
			took = "last alive after " + humanize.Duration(run.Duration())
		case !run.Running():
			took = humanize.Duration(run.Duration())
		}
		d.line(d.outcomeMark(run.Outcome), d.esc(fmt.Sprintf("%s %s · %s · %s · %s",
			run.StartedAt.UTC().Format("01-02 15:04"), run.Job, run.Trigger, run.Outcome, took)))
		if run.Error != "" {
			d.text("    " + firstLine(run.Error, 160))
		}
	}
}

// ScheduleEntry is one job on the schedule, as /schedule shows it.
type ScheduleEntry struct {
	Job  string
	Cron string // empty: off
	Next time.Time
	Last *vocab.Run
}

// Schedule renders each job, its schedule, next run and last outcome.
func Schedule(entries []ScheduleEntry, loc *time.Location, now time.Time, f Format) string {
	d := &doc{f: f}
	d.line(d.bold("Schedule · " + loc.String()))
	sort.Slice(entries, func(i, j int) bool { return entries[i].Job < entries[j].Job })
	for _, e := range entries {
		if e.Cron == "" {
			d.line(d.mark(jobs.LevelWarn), d.esc(e.Job+": off"))
			continue
		}
		lvl := jobs.LevelOK
		last := "never ran"
		if e.Last != nil {
			lvl = outcomeLevel(e.Last.Outcome)
			last = fmt.Sprintf("last %s %s ago", e.Last.Outcome, humanize.Duration(now.Sub(e.Last.StartedAt)))
		}
		next := "–"
		if !e.Next.IsZero() {
			next = e.Next.In(loc).Format("01-02 15:04") + " (in " + humanize.Duration(e.Next.Sub(now)) + ")"
		}
		d.line(d.mark(lvl), d.code(e.Job), d.esc("· "+e.Cron))
		d.text("    next " + next + " · " + last)
	}
	return d.String()
}

func firstLine(s string, max int) string {
	for i, r := range s {
		if r == '\n' {
			s = s[:i]
			break
		}
	}
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}
