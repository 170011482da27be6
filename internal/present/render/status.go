package render

import (
	"fmt"
	"sort"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// bucketLabels name the five key-age buckets of store.AgeBucketBounds.
var bucketLabels = [5]string{"< 1 d", "1–7 d", "7–14 d", "14–30 d", "> 30 d"}

// Status renders a status report.
func Status(r jobs.StatusReport, f Format) string {
	d := &doc{f: f}
	title := "pgkeeper status · " + r.Database.Name
	d.line(d.mark(r.Level()), d.bold(title))
	if n := len(r.Findings); n > 0 {
		d.findings(r.Findings)
	}
	statusDatabase(d, r.Database)
	if r.Database.Reachable {
		statusTables(d, r.Tables)
		statusKeys(d, r.Keys, r.At)
	}
	statusTools(d, r)
	statusBackupDir(d, r.BackupDir, len(r.Remotes) > 0)
	statusLastBackup(d, r)
	statusRemotes(d, r)
	statusLastRuns(d, r)
	d.b.WriteByte('\n')
	d.text(fmt.Sprintf("%s · took %s", r.At.UTC().Format("2006-01-02 15:04:05 UTC"), humanize.Duration(r.Took)))
	return d.String()
}

func statusDatabase(d *doc, db jobs.DatabaseStatus) {
	d.heading("Database")
	if !db.Reachable {
		d.line(d.mark(jobs.LevelCritical), d.esc("unreachable ("+db.Host+"): "+db.Error))
		return
	}
	d.line(d.mark(jobs.LevelOK), d.esc("reachable · PostgreSQL "+db.Version.String()+" · "+db.Host))
	lat := jobs.LevelOK
	if db.Latency > db.LatencyThreshold {
		lat = jobs.LevelWarn
	}
	d.line(d.mark(lat), d.esc(fmt.Sprintf("latency %s (limit %s)",
		humanize.Duration(db.Latency), humanize.Duration(db.LatencyThreshold))))
	pool := jobs.LevelOK
	if db.Pool.Max > 0 && float64(db.Pool.InUse)/float64(db.Pool.Max) > db.PoolThreshold {
		pool = jobs.LevelWarn
	}
	d.line(d.mark(pool), d.esc(fmt.Sprintf("pool %d/%d in use (limit %s)",
		db.Pool.InUse, db.Pool.Max, humanize.Percent(db.PoolThreshold))))
	d.line(d.mark(jobs.LevelOK), d.esc("size "+humanize.Bytes(db.SizeBytes)))
}

func statusTables(d *doc, tables []jobs.TableStatus) {
	if len(tables) == 0 {
		return
	}
	d.heading("Tables")
	for _, t := range tables {
		if t.Error != "" {
			d.line(d.mark(jobs.LevelWarn), d.code(t.Table.String())+d.esc(": "+t.Error))
			continue
		}
		rows := humanize.Int(t.Rows) + " rows"
		if !t.RowsExact {
			rows = "≈" + rows + " (estimate)"
		}
		d.line(d.mark(jobs.LevelOK), d.code(t.Table.String())+d.esc(": "+rows))
		d.text(fmt.Sprintf("    data %s · index %s · total %s",
			humanize.Bytes(t.TableBytes), humanize.Bytes(t.IndexBytes), humanize.Bytes(t.TotalBytes)))
	}
}

func statusKeys(d *doc, k jobs.KeysStatus, now time.Time) {
	if k.Table.Name == "" {
		return // no keys table configured for this database
	}
	d.heading("Key ages · " + k.Table.String() + "." + k.Column)
	if !k.Checked {
		d.line(d.mark(jobs.LevelWarn), d.esc(k.Error))
		return
	}
	approx := ""
	if k.SampledPercent > 0 {
		approx = "≈"
		d.text(fmt.Sprintf("≈ sampled %.2g%% of pages, scaled to the estimate", k.SampledPercent))
	}
	lines := make([]string, 0, 5)
	for i, n := range k.Buckets {
		share := 0.0
		if k.Total > 0 {
			share = float64(n) / float64(k.Total)
		}
		lines = append(lines, fmt.Sprintf("%-7s %10s %6s", bucketLabels[i], approx+humanize.Int(n), humanize.Percent(share)))
	}
	d.pre(lines)
	if k.Total == 0 {
		d.text("no keys")
		return
	}
	d.text(fmt.Sprintf("oldest %s ago · newest %s ago", humanize.Duration(now.Sub(k.Oldest)), humanize.Duration(now.Sub(k.Newest))))
	d.text(fmt.Sprintf("%s%s older than %d d (cleanup's retention)", approx, humanize.Int(k.Expired), k.RetentionDays))
}

func statusTools(d *doc, r jobs.StatusReport) {
	d.heading("Tools")
	for _, t := range r.Tools {
		switch {
		case !t.Found:
			d.line(d.mark(t.Level), d.esc(t.Name+": "+t.Error))
		case t.Problem != "":
			d.line(d.mark(t.Level), d.esc(t.Problem))
		default:
			d.line(d.mark(jobs.LevelOK), d.esc(t.Name+" "+t.Version.String()+" · "+t.Path))
		}
	}
}

func statusBackupDir(d *doc, b jobs.DirStatus, offsite bool) {
	d.heading("Backups directory")
	if b.Error != "" {
		d.line(d.mark(jobs.LevelWarn), d.esc(b.Path+": "+b.Error))
		return
	}
	note := ""
	if !b.Exists {
		note = " (created at the first backup)"
	}
	d.line(d.mark(jobs.LevelOK), d.code(b.Path)+d.esc(" · "+humanize.Bytes(b.FreeBytes)+" free"+note))
	if b.SameDiskAsDatabase && !offsite {
		// Not a finding: a one-disk server is common and this is no fault
		// to page anyone about, but it should be in plain sight.
		d.line(d.mark(jobs.LevelWarn),
			d.esc("on the same disk as the database: one disk failure takes both; keep a copy elsewhere (BACKUP_REMOTES)"))
	}
}

func statusLastBackup(d *doc, r jobs.StatusReport) {
	b := r.LastBackup
	if b == nil {
		d.line(d.mark(jobs.LevelWarn), d.esc("no verified backup yet"))
		return
	}
	age := r.At.Sub(b.Start)
	lvl := jobs.LevelOK
	if r.BackupStale {
		lvl = jobs.LevelWarn
	}
	d.line(d.mark(lvl), d.esc(fmt.Sprintf("newest backup %s ago · %s · %s",
		humanize.Duration(age), b.Kind, humanize.Bytes(b.CompressedBytes))))
}

// statusLastRuns shows how each job last ended, so that /status answers "did
// last night's backup and cleanup work?" without a second command.
func statusLastRuns(d *doc, r jobs.StatusReport) {
	if len(r.LastRuns) == 0 {
		return
	}
	d.heading("Last runs")
	names := make([]string, 0, len(r.LastRuns))
	for name := range r.LastRuns {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		run := r.LastRuns[name]
		d.line(d.outcomeMark(run.Outcome), d.code(name)+d.esc(fmt.Sprintf(" %s %s ago · took %s · %s",
			run.Outcome, humanize.Duration(r.At.Sub(run.EndedAt)), humanize.Duration(run.Duration()), run.Trigger)))
		if run.Error != "" {
			d.text("    " + firstLine(run.Error, 160))
		}
	}
}
