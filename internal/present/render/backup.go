package render

import (
	"cmp"
	"fmt"
	"html"
	"strings"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// BackupProgress is the one line edited into place while a backup runs.
func BackupProgress(p jobs.BackupProgress, f Format) string {
	d := &doc{f: f}
	line := "⏳ Backup running · " + p.Step
	if p.Remote != "" {
		line = "⏳ Backup running · " + uploadProgress(p)
	} else if p.RawBytes > 0 {
		line += fmt.Sprintf(" · %s read, %s written · %s", humanize.Bytes(p.RawBytes), humanize.Bytes(p.Written),
			humanize.Rate(p.RawBytes, p.Elapsed))
	}
	line += " · " + humanize.Duration(p.Elapsed)
	d.text(line)
	return d.String()
}

// Backup renders a backup's outcome: the file, its figures, each check and
// what retention did; for a failure, which step failed and what to do.
func Backup(r jobs.BackupReport, f Format) string {
	d := &doc{f: f}
	m := r.Manifest
	switch {
	case !r.OK():
		title := "Backup FAILED"
		if db := cmp.Or(r.Database, m.Database); db != "" {
			title += " · " + db
		}
		d.line(d.mark(jobs.LevelCritical), d.bold(title))
		d.text("failed at " + r.FailedAt + ": " + r.Error)
		d.text("What to do: " + backupAdvice(r))
		d.text("No backup was recorded and no older backup was deleted.")
		if r.KeptAs != "" {
			d.line(d.esc("The failed dump is kept for a look at"), d.code(r.KeptAs))
		}
	case r.DryRun:
		d.line(d.mark(jobs.LevelOK), d.bold("Backup dry run · "+m.Database))
		d.line(d.esc("would write"), d.code(m.DumpFile()),
			d.esc("("+m.Kind+", about "+humanize.Bytes(r.Estimate)+", "+humanize.Bytes(r.FreeBytes)+" free)"))
	default:
		// A remote that failed opens the report: the backup is good, but
		// the alert is about that remote.
		remoteFailures(d, r)
		lvl := jobs.LevelOK
		if len(r.Warnings) > 0 || r.RemoteFailed() {
			lvl = jobs.LevelWarn
		}
		d.line(d.mark(lvl), d.bold("Backup verified · "+m.Database))
		d.findings(r.Warnings)
		d.line(d.code(m.DumpFile()))
		ratio := 0.0
		if m.CompressedBytes > 0 {
			ratio = float64(m.RawBytes) / float64(m.CompressedBytes)
		}
		d.text(fmt.Sprintf("%s · %s · %.1f× smaller than raw %s · %s",
			m.Kind, humanize.Bytes(m.CompressedBytes), ratio, humanize.Bytes(m.RawBytes), humanize.Duration(m.Duration)))
		d.text(fmt.Sprintf("PostgreSQL %s · pg_dump %s · %s", m.ServerVersion, m.PgDumpVersion, m.Compression))
	}
	// A failed run's counts describe no backup: they are left out.
	if len(m.Tables) > 0 && r.OK() {
		d.heading("Rows (exact, in the dump's snapshot)")
		// Names as wide as the longest, so the counts line up on a phone too.
		width := 22
		for _, t := range m.Tables {
			width = max(width, len([]rune(strings.TrimPrefix(t.Table, "public."))))
		}
		lines := make([]string, 0, len(m.Tables))
		for _, t := range m.Tables {
			lines = append(lines, fmt.Sprintf("%-*s %12s", width, strings.TrimPrefix(t.Table, "public."), humanize.Int(t.Rows)))
		}
		d.pre(lines)
	}
	if len(r.Checks) > 0 {
		d.heading("Checks")
		for _, c := range r.Checks {
			lvl := jobs.LevelOK
			if !c.OK {
				lvl = jobs.LevelCritical
			}
			d.line(d.mark(lvl), d.esc(c.Name))
		}
	}
	if r.OK() && !r.DryRun {
		backupRemotes(d, r)
	}
	if r.OK() {
		if c := r.Copy; c != nil && c.OK {
			note := "copied off this machine in " + humanize.Duration(c.Duration)
			if c.Detail != "" {
				note += ": " + c.Detail
			}
			d.text(note)
		}
		backupRetention(d, r)
		if m.GlobalsNote != "" {
			d.text(m.GlobalsNote)
		} else if f := m.GlobalsFrom; m.Globals != "" && f != nil {
			// Said so that an operator comparing roles files knows why they match.
			d.text(fmt.Sprintf("roles saved (without passwords): the server's, dumped once at %s UTC for %s's backup",
				f.At.UTC().Format("15:04:05"), f.Database))
		} else if m.Globals != "" {
			d.text("roles saved (without passwords)")
		}
	}
	return d.String()
}

func backupRetention(d *doc, r jobs.BackupReport) {
	d.heading("Retention")
	d.text(tally(r.Kept))
	var gone []string
	if r.DryRun {
		for _, v := range r.Retention {
			if !v.Keep {
				gone = append(gone, v.Backup.DumpFile()+" ("+v.Why+")")
			}
		}
		if len(gone) > 0 {
			d.text("would delete: " + strings.Join(gone, ", "))
		} else {
			d.text("would delete nothing")
		}
		return
	}
	if len(r.Deleted) > 0 {
		d.text("deleted: " + strings.Join(r.Deleted, ", "))
	}
	if len(r.Swept) > 0 {
		d.text("removed leftovers of an interrupted run: " + strings.Join(r.Swept, ", "))
	}
}

// backupAdvice says what to do next for the step that failed.
func backupAdvice(r jobs.BackupReport) string {
	switch r.FailedAt {
	case "lock":
		return "wait for the running job to finish, then try again."
	case "connect":
		return "check that the database server is up and DATABASE_URL is right, then run /backup again."
	case "preflight":
		if r.DiskFull {
			return "BACKUP_DIR has too little room for the backup: free space there or lower BACKUP_KEEP_DAILY, then run /backup again."
		}
		return "fix what the line above names (client tools, disk space or the database), then run /backup again."
	case "pg_dump":
		switch {
		case r.DiskFull && r.ToolSaid != "":
			return "BACKUP_DIR filled up while the dump was written (pg_dump's own message is above): " +
				"free space there or lower BACKUP_KEEP_DAILY, then run /backup again."
		case r.DiskFull:
			return "BACKUP_DIR filled up while the dump was written: free space there or lower BACKUP_KEEP_DAILY, then run /backup again."
		case r.ToolSaid != "":
			return "read pg_dump's message above; check the database and BACKUP_DIR's free space, then run /backup again."
		}
		return "check the database and BACKUP_DIR's free space, then run /backup again."
	case "verify":
		return "the dump was not trusted; check the disk and pg_dump's version, then run /backup again."
	default:
		return "check BACKUP_DIR (permissions, free space), then run /backup again."
	}
}

// brokenBackups lists the backups that cannot be trusted, each with why and
// the space it holds, and how to remove them: shown of all of them, the
// way out after the last.
func brokenBackups(d *doc, all, shown []jobs.BrokenBackup, last bool) {
	items := func(bs []jobs.BrokenBackup) []brokenItem {
		out := make([]brokenItem, 0, len(bs))
		for _, b := range bs {
			out = append(out, brokenItem{b.Name, b.Reason, b.Bytes})
		}
		return out
	}
	fate := ""
	if last {
		fate = "Never used, never deleted by themselves: pgkeeper backups --prune-broken lists what it would remove, --yes removes it."
	}
	brokenListPart(d, items(all), items(shown), fate)
}

// brokenItem is a broken backup, here or on a remote, as listed.
type brokenItem struct {
	name, reason string
	bytes        int64
}

// brokenList lists broken backups with their total, then what becomes of them.
func brokenList(d *doc, broken []brokenItem, fate string) { brokenListPart(d, broken, broken, fate) }

// brokenListPart is brokenList of a page: a heading counting all, the
// shown ones, and fate (if any) after them.
func brokenListPart(d *doc, all, shown []brokenItem, fate string) {
	if len(shown) == 0 {
		return
	}
	var total int64
	for _, b := range all {
		total += b.bytes
	}
	d.b.WriteByte('\n')
	d.line(d.bold(fmt.Sprintf("Broken · %d · %s", len(all), humanize.Bytes(total))))
	for _, b := range shown {
		d.line(d.mark(jobs.LevelWarn), d.esc(fmt.Sprintf("%s %s · %s", b.name, b.reason, humanize.Bytes(b.bytes))))
	}
	if fate != "" {
		d.text(fate)
	}
}

// BackupBrief is the one line a successful scheduled backup says when
// NOTIFY_SUCCESS=brief, with each remote's ✓. A remote that failed is never
// a brief success: the caller sends the full report, and this line, if
// used all the same, says so.
func BackupBrief(r jobs.BackupReport) string {
	m := r.Manifest
	mark := "✅ Backup verified"
	if r.RemoteFailed() {
		mark = "🔴 Off-site copy FAILED · backup verified here"
	}
	return fmt.Sprintf("%s · %s · %s · %s · %s%s", mark, html.EscapeString(m.Database), m.Kind,
		humanize.Bytes(m.CompressedBytes), humanize.Duration(m.Duration), html.EscapeString(remotesBrief(r)))
}

// PruneBroken reports `pgkeeper backups --prune-broken`.
func PruneBroken(r jobs.PruneReport, f Format) string {
	d := &doc{f: f}
	if len(r.Broken) == 0 {
		d.text("No broken backups: nothing to remove.")
		return d.String()
	}
	title := "Removed %d broken backups"
	if r.DryRun {
		title = "%d broken backups would be removed"
	}
	d.line(d.bold(fmt.Sprintf(title, len(r.Broken))))
	var total int64
	for _, b := range r.Broken {
		total += b.Bytes
		d.line(d.mark(jobs.LevelWarn), d.esc(fmt.Sprintf("%s %s · %s", b.Name, b.Reason, humanize.Bytes(b.Bytes))))
		for _, file := range b.Files {
			d.text("  " + file)
		}
	}
	for _, fail := range r.Failed {
		d.line(d.mark(jobs.LevelCritical), d.esc("not removed: "+fail))
	}
	if r.DryRun {
		d.text(fmt.Sprintf("%s in all. Nothing was removed: add --yes to remove these files.", humanize.Bytes(total)))
	} else if len(r.Failed) == 0 {
		d.text(fmt.Sprintf("%d files removed, %s freed.", len(r.Removed), humanize.Bytes(total)))
	} else {
		d.text(fmt.Sprintf("%d files removed; see why the others were not.", len(r.Removed)))
	}
	return d.String()
}
