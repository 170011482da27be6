package render

import (
	"fmt"
	"strings"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// CleanupPreview renders what a cleanup would delete: exact counts by key
// type, what the rules keep, the age distribution, oldest and newest key, and
// the table's sizes. It names the guard a scheduled run would stop at.
func CleanupPreview(p jobs.CleanupPreview, f Format) string {
	d := &doc{f: f}
	c := p.Counts
	d.line(d.bold(fmt.Sprintf("Cleanup preview: %s of %s keys would be deleted", humanize.Int(p.ToDelete()), humanize.Int(c.Rows))))
	rule := fmt.Sprintf("%s older than %d days (before %s)",
		p.AgeColumn, p.RetentionDays, p.Cutoff.UTC().Format("2006-01-02 15:04 UTC"))
	if p.ExpiresColumn != "" {
		rule += ", or " + p.ExpiresColumn + " passed"
	}
	d.text(rule)
	lines := []string{}
	for _, t := range c.ByType {
		if t.Expired > 0 {
			lines = append(lines, fmt.Sprintf("%-24s %10s", t.Type, humanize.Int(t.Expired)))
		}
	}
	if len(lines) > 0 {
		d.pre(lines)
	}
	if p.ExpiresColumn != "" {
		d.text(fmt.Sprintf("of them %s only because %s passed", humanize.Int(c.ByExpiresOnly), p.ExpiresColumn))
	}
	d.text(fmt.Sprintf("kept although old: %s protected types, %s current pre-keys",
		humanize.Int(c.KeptProtected), humanize.Int(c.KeptCurrentPreKey)))
	ages := make([]string, 0, 5)
	for i, n := range c.Buckets {
		ages = append(ages, fmt.Sprintf("%-7s %10s", bucketLabels[i], humanize.Int(n)))
	}
	d.pre(ages)
	if c.Rows > 0 {
		d.text("oldest " + c.Oldest.UTC().Format("2006-01-02") + " · newest " + c.Newest.UTC().Format("2006-01-02 15:04"))
	}
	d.text(p.Table.String() + ": " + sizes(p.Sizes))
	if p.Guard != "" {
		d.line(d.mark(jobs.LevelWarn), d.esc("a scheduled run would delete nothing: "+p.Guard))
	}
	return d.String()
}

// sizes is a table's size line: table, indexes, total.
func sizes(s vocab.RelationSizes) string {
	return fmt.Sprintf("table %s · indexes %s · total %s",
		humanize.Bytes(s.TableBytes), humanize.Bytes(s.IndexBytes), humanize.Bytes(s.TotalBytes))
}

// Cleanup renders a cleanup run's outcome: what went by key type, how fast,
// the sizes and dead tuples before and after, and what VACUUM did.
func Cleanup(r jobs.CleanupReport, f Format) string {
	d := &doc{f: f}
	switch {
	case !r.OK():
		d.line(d.mark(jobs.LevelCritical), d.bold("Cleanup FAILED at "+r.FailedAt))
		d.text(r.Error)
		d.text(fmt.Sprintf("%s keys deleted before it failed", humanize.Int(r.Deleted)))
	case r.Guarded:
		d.line(d.mark(jobs.LevelWarn), d.bold("Cleanup held back: "+r.GuardReason))
	case r.Stopped:
		d.line(d.mark(jobs.LevelWarn), d.bold(fmt.Sprintf("Cleanup stopped: %s keys deleted", humanize.Int(r.Deleted))))
	default:
		d.line(d.mark(r.Level()), d.bold(fmt.Sprintf("Cleanup deleted %s keys", humanize.Int(r.Deleted))))
	}
	switch {
	case (r.Stopped || r.LimitReached) && r.Preview.Counts.Rows > 0:
		d.text(fmt.Sprintf("%s of the %s counted at the start; the rest are still there",
			humanize.Int(r.Deleted), humanize.Int(r.Preview.ToDelete())))
	case r.Stopped:
		d.text("stopped while counting the expired keys")
	}
	if r.LimitReached {
		d.text("stopped at the unconfirmed run's limit: more keys expired while it ran")
	}
	if r.Uncertain > 0 {
		d.text(fmt.Sprintf("up to %s more may be gone (the connection broke while a batch committed; they are in the undo file)",
			humanize.Int(r.Uncertain)))
	}
	var types []string
	for _, t := range r.DeletedByType {
		types = append(types, fmt.Sprintf("%-24s %10s", t.Type, humanize.Int(t.Rows)))
	}
	if len(types) > 0 {
		d.pre(types)
	}
	took := "took " + humanize.Duration(r.Duration)
	if r.Batches > 0 {
		took += fmt.Sprintf(" · %.0f rows/s · %d batches", r.Rate, r.Batches)
	}
	d.text(took)
	if r.Deleted > 0 || r.Uncertain > 0 {
		d.text("before: " + sizes(r.Before) + " · dead tuples " + humanize.Int(r.Before.DeadTuples))
		d.text("after:  " + sizes(r.After) + " · dead tuples " + humanize.Int(r.After.DeadTuples))
	}
	d.text("vacuum: " + vacuum(r.Vacuum))
	if r.UndoFile != "" {
		d.text("undo until " + r.UndoExpiry.UTC().Format("2006-01-02 15:04 UTC") + ": pgkeeper cleanup --undo " + r.Run)
	}
	return d.String()
}

// vacuum says what the VACUUM (ANALYZE) after a cleanup did.
func vacuum(v jobs.VacuumOutcome) string {
	switch {
	case v.Error != "":
		return "failed: " + v.Error
	case !v.Ran && v.Skipped != "":
		return "skipped (" + v.Skipped + ")"
	case !v.Ran:
		return "did not run"
	}
	return fmt.Sprintf("VACUUM (ANALYZE) in %s · dead tuples %s → %s · total %s → %s", humanize.Duration(v.Duration),
		humanize.Int(v.DeadBefore), humanize.Int(v.DeadAfter), humanize.Bytes(v.Before.TotalBytes), humanize.Bytes(v.After.TotalBytes))
}

// CleanupProgress is the line a running cleanup's message shows.
func CleanupProgress(p jobs.CleanupProgress, f Format) string {
	d := &doc{f: f}
	switch p.Phase {
	case jobs.PhaseDeleting:
		d.text(fmt.Sprintf("🧹 Deleting · %s of %s keys · %.0f rows/s · %d batches · %s",
			humanize.Int(p.Deleted), humanize.Int(p.Expected), p.Rate, p.Batches, humanize.Duration(p.Elapsed)))
	case jobs.PhaseVacuum:
		d.text(fmt.Sprintf("🧹 Deleted %s keys · VACUUM (ANALYZE) · %s", humanize.Int(p.Deleted), humanize.Duration(p.Elapsed)))
	default:
		d.text("🧹 Counting expired keys · " + humanize.Duration(p.Elapsed))
	}
	return d.String()
}

// CleanupBrief is the one line a successful scheduled cleanup says when
// NOTIFY_SUCCESS=brief.
func CleanupBrief(r jobs.CleanupReport) string {
	if r.Deleted == 0 {
		return "✅ Cleanup: no expired keys"
	}
	return fmt.Sprintf("✅ Cleanup deleted %s keys · %s · total size %s → %s", humanize.Int(r.Deleted),
		humanize.Duration(r.Duration), humanize.Bytes(r.Before.TotalBytes), humanize.Bytes(r.After.TotalBytes))
}

// CleanupUndo renders the outcome of putting a cleanup's rows back.
func CleanupUndo(r jobs.UndoReport, f Format) string {
	d := &doc{f: f}
	switch {
	case !r.OK():
		d.line(d.mark(jobs.LevelCritical), d.bold("Undo FAILED at "+r.FailedAt))
		d.text(r.Error)
	case r.Stopped:
		d.line(d.mark(jobs.LevelWarn), d.bold("Undo stopped: run it again to finish"))
	default:
		d.line(d.mark(jobs.LevelOK), d.bold("Undo of cleanup "+r.Run))
	}
	came := humanize.Int(r.Restored) + " keys came back"
	switch {
	case r.Rows > 0 && r.Restored == r.Rows:
		came = fmt.Sprintf("all %s keys in the file came back", humanize.Int(r.Rows))
	case r.Rows > 0: // -1: a crashed cleanup's file not read to its end yet
		came = fmt.Sprintf("%s of the %s keys in the file came back", humanize.Int(r.Restored), humanize.Int(r.Rows))
	}
	if !r.OK() {
		came += " before it failed"
	}
	parts := []string{came}
	if r.Skipped > 0 {
		parts = append(parts, humanize.Int(r.Skipped)+" skipped (written again since: the live value was kept)")
	}
	if r.Unchanged > 0 {
		parts = append(parts, humanize.Int(r.Unchanged)+" already there unchanged (never deleted, or put back by an earlier undo)")
	}
	d.text(strings.Join(append(parts, "took "+humanize.Duration(r.Duration)), " · "))
	return d.String()
}
