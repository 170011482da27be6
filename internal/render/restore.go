package render

import (
	"fmt"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// RestoreTest renders a restore test's outcome.
func RestoreTest(r jobs.RestoreReport, f Format) string {
	d := &doc{f: f}
	if r.OK() {
		d.line(d.mark(jobs.LevelOK), d.bold("Restore test passed · "+r.Backup.Name))
	} else {
		d.line(d.mark(jobs.LevelCritical), d.bold("Restore test FAILED · "+r.Backup.Name))
		d.text("failed at " + r.FailedAt + ": " + r.Error)
		for _, x := range r.Differences {
			d.text("  " + x.String())
		}
	}
	d.text(fmt.Sprintf("RTO %s (restore + verification) · RPO %s (backup age)", humanize.Duration(r.RTO), humanize.Duration(r.RPO)))
	d.text(fmt.Sprintf("%d tables, %s rows checked · %d fingerprinted · restored %s", r.Tables, humanize.Int(r.Rows), r.Fingerprinted, humanize.Bytes(r.RestoredBytes)))
	d.text(fmt.Sprintf("scratch database %s on %s · dropped: %v", r.Scratch, r.Server, r.Dropped))
	for _, s := range r.Swept {
		d.text("swept a leftover scratch database: " + s)
	}
	for _, w := range r.Warnings {
		d.line(d.mark(jobs.LevelWarn), d.esc(w))
	}
	return d.String()
}

// CleanupPreview renders what a cleanup would delete.
func CleanupPreview(p jobs.CleanupPreview, f Format) string {
	d := &doc{f: f}
	c := p.Counts
	d.line(d.bold(fmt.Sprintf("Cleanup preview: %s of %s keys would be deleted", humanize.Int(p.ToDelete()), humanize.Int(c.Rows))))
	lines := []string{}
	for _, t := range c.ByType {
		if t.Expired > 0 {
			lines = append(lines, fmt.Sprintf("%-24s %10s", t.Type, humanize.Int(t.Expired)))
		}
	}
	d.pre(lines)
	d.text(fmt.Sprintf("of them %s only because expires_at passed", humanize.Int(c.ByExpiresOnly)))
	d.text(fmt.Sprintf("kept although old: %s protected types, %s current pre-keys", humanize.Int(c.KeptProtected), humanize.Int(c.KeptCurrentPreKey)))
	ages := make([]string, 0, 5)
	for i, n := range c.Buckets {
		ages = append(ages, fmt.Sprintf("%-7s %10s", bucketLabels[i], humanize.Int(n)))
	}
	d.pre(ages)
	d.text("oldest " + c.Oldest.UTC().Format("2006-01-02") + " · newest " + c.Newest.UTC().Format("2006-01-02 15:04"))
	return d.String()
}

// Cleanup renders a cleanup run's outcome.
func Cleanup(r jobs.CleanupReport, f Format) string {
	d := &doc{f: f}
	switch {
	case !r.OK():
		d.line(d.mark(jobs.LevelCritical), d.bold("Cleanup FAILED at "+r.FailedAt))
		d.text(r.Error)
	case r.Guarded:
		d.line(d.mark(jobs.LevelWarn), d.bold("Cleanup held back: "+r.GuardReason))
	default:
		d.line(d.mark(r.Level()), d.bold(fmt.Sprintf("Cleanup deleted %s keys", humanize.Int(r.Deleted))))
	}
	for _, t := range r.DeletedByType {
		d.text(fmt.Sprintf("  %-24s %10s", t.Type, humanize.Int(t.Rows)))
	}
	d.text(fmt.Sprintf("%s · %.0f rows/s · %d batches · stopped: %v", humanize.Duration(r.Duration), r.Rate, r.Batches, r.Stopped))
	if r.UndoFile != "" {
		d.text("undo until " + r.UndoExpiry.UTC().Format("2006-01-02 15:04 UTC") + ": pgkeeper cleanup --undo " + r.Run)
	}
	return d.String()
}

// RestorePreview renders what a restore test would do, before its button.
func RestorePreview(p jobs.RestorePreview, f Format) string {
	d := &doc{f: f}
	d.line(d.bold("Restore test · " + p.Backup.Name))
	d.text(fmt.Sprintf("backup %s old · %s · %s", humanize.Duration(p.Age), p.Backup.Kind, humanize.Bytes(p.Backup.CompressedBytes)))
	d.line(d.esc("into scratch database"), d.code(p.Scratch), d.esc("on "+p.Server))
	free := "unknown"
	if p.ServerFree >= 0 {
		free = humanize.Bytes(p.ServerFree)
	}
	d.text(fmt.Sprintf("needs about %s · server free %s · pg_restore %s", humanize.Bytes(p.NeedBytes), free, p.PgRestore))
	d.text("It is dropped afterwards, whatever happens. Nothing runs before the button.")
	return d.String()
}
