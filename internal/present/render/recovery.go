package render

import (
	"fmt"
	"path/filepath"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// RecoveryPreview renders what `pgkeeper restore` would do, before --yes.
func RecoveryPreview(p jobs.RestorePreview, f Format) string {
	d := &doc{f: f}
	d.line(d.bold("Restore · " + p.Backup.Name))
	d.text(fmt.Sprintf("backup %s old (taken %s) · %s · %s", humanize.Duration(p.Age),
		p.Backup.Start.UTC().Format("2006-01-02 15:04 UTC"), p.Backup.Kind, humanize.Bytes(p.Backup.CompressedBytes)))
	fromLine(d, p.From, copyEncrypted(p.Backup))
	d.line(d.esc("into a new database"), d.code(p.Scratch), d.esc("on "+p.Server))
	d.text(restoreNeeds(p))
	d.text("The new database is verified (rows of every table, fingerprints) and kept; nothing else is touched.")
	return d.String()
}

// RecoveryProgress is the line a running `pgkeeper restore` prints.
func RecoveryProgress(p jobs.RestoreProgress, into string, f Format) string {
	d := &doc{f: f}
	d.text(fmt.Sprintf("⏳ Restore into %s · %s · %s", into, p.Step, humanize.Duration(p.Elapsed)))
	return d.String()
}

// Recovery renders the outcome of `pgkeeper restore`, and what to do next.
func Recovery(r jobs.RestoreReport, backupDir string, f Format) string {
	d := &doc{f: f}
	if r.OK() {
		d.line(d.mark(jobs.LevelOK), d.bold("Restored and verified · "+r.Backup.Name+" → "+r.Scratch+" on "+r.Server))
	} else {
		d.line(d.mark(jobs.LevelCritical), d.bold(titled("Restore FAILED", r.Backup.Name)))
		d.text("failed at " + r.FailedAt + ": " + r.Error)
		for _, x := range r.Differences {
			d.text("  " + x.String())
		}
	}
	if r.Backup.Name != "" { // not found: there is no backup to speak of
		d.text(fmt.Sprintf("backup taken %s (%s before the restore began)",
			r.Backup.Start.UTC().Format("2006-01-02 15:04:05 UTC"), humanize.Duration(r.RPO)))
		fromLine(d, r.From, copyEncrypted(r.Backup))
	}
	if r.OK() {
		d.text(fmt.Sprintf("%d tables, %s rows checked · %d fingerprinted · %s restored in %s",
			r.Tables, humanize.Int(r.Rows), r.Fingerprinted, humanize.Bytes(r.RestoredBytes), humanize.Duration(r.RTO)))
	}
	for _, w := range r.Warnings {
		d.line(d.mark(jobs.LevelWarn), d.esc(w))
	}
	switch {
	case r.Kept:
		d.heading("Next")
		d.text("1. Stop the service that writes to the old database, so nothing writes to both.")
		d.text("2. Point it at " + r.Scratch + " (its DATABASE_URL), or rename: " +
			"ALTER DATABASE <old> RENAME TO <old>_broken; ALTER DATABASE " + r.Scratch + " RENAME TO <old>.")
		d.text("3. Objects belong to the role that restored them (restored with --no-owner --no-privileges): " +
			"grant the service's role what it needs.")
		switch {
		case r.From != "" && len(r.Backup.Remotes) == 1 && r.Backup.Remotes[0].GlobalsKey != "":
			d.text("   The backup's roles (without passwords) are in " + r.Backup.Remotes[0].GlobalsKey + " on " + r.From + ".")
		case r.Backup.Globals != "" && r.From == "":
			d.text("   The backup's roles (without passwords) are in " + filepath.Join(backupDir, r.Backup.Globals) + ".")
		}
		d.text("4. Start the service, then make a fresh backup: pgkeeper backup.")
	case r.Dropped:
		d.text("The half-restored " + r.Scratch + " was dropped; nothing else was touched.")
	}
	return d.String()
}
