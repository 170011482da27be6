package render

import (
	"fmt"
	"html"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// RestoreTest renders a restore test's outcome. A failure shows only what
// the run got to: the backup once found, the checks once some ran, the
// scratch database once named; RTO and size only for a test that passed.
func RestoreTest(r jobs.RestoreReport, f Format) string {
	d := &doc{f: f}
	switch {
	case r.OK() && r.CiphertextOnly:
		ciphertextChecked(d, r)
	case r.OK():
		d.line(d.mark(jobs.LevelOK), d.bold("Restore test passed · "+r.Backup.Name))
		d.text(fmt.Sprintf("RTO %s (restore + verification) · RPO %s (backup age)",
			humanize.Duration(r.RTO), humanize.Duration(r.RPO)))
		d.text(fmt.Sprintf("%d tables, %s rows checked · %d fingerprinted · restored %s",
			r.Tables, humanize.Int(r.Rows), r.Fingerprinted, humanize.Bytes(r.RestoredBytes)))
	default:
		d.line(d.mark(jobs.LevelCritical), d.bold(titled("Restore test FAILED", r.Backup.Name)))
		d.text("failed at " + r.FailedAt + ": " + r.Error)
		for _, x := range r.Differences {
			d.text("  " + x.String())
		}
		if r.Backup.Name != "" {
			d.text("backup age (RPO) " + humanize.Duration(r.RPO))
		}
		if r.Tables > 0 {
			d.text(fmt.Sprintf("%d tables, %s rows checked · %d fingerprinted", r.Tables, humanize.Int(r.Rows), r.Fingerprinted))
		}
	}
	if !r.CiphertextOnly && r.Backup.Name != "" {
		fromLine(d, r.From, copyEncrypted(r.Backup))
	}
	if r.Scratch != "" {
		d.text(fmt.Sprintf("scratch database %s on %s · dropped: %v", r.Scratch, r.Server, r.Dropped))
	}
	for _, s := range r.Swept {
		d.text("swept a leftover scratch database: " + s)
	}
	for _, w := range r.Warnings {
		d.line(d.mark(jobs.LevelWarn), d.esc(w))
	}
	return d.String()
}

// titled is a report's title followed by what it is about, when known.
func titled(title, about string) string {
	if about == "" {
		return title
	}
	return title + " · " + about
}

// RestoreProgress is the line a running restore test's message shows.
func RestoreProgress(p jobs.RestoreProgress, f Format) string {
	d := &doc{f: f}
	d.text(fmt.Sprintf("⏳ Restore test · %s · %s", p.Step, humanize.Duration(p.Elapsed)))
	return d.String()
}

// RestorePreview renders what a restore test would do, before its button.
func RestorePreview(p jobs.RestorePreview, f Format) string {
	d := &doc{f: f}
	d.line(d.bold("Restore test · " + p.Backup.Name))
	d.text(fmt.Sprintf("backup %s old · %s · %s",
		humanize.Duration(p.Age), p.Backup.Kind, humanize.Bytes(p.Backup.CompressedBytes)))
	if p.CiphertextOnly {
		d.text("The copy on " + p.From + " is encrypted and no identity was given: " +
			"a run only reads it and checks the ciphertext's size and sha256; nothing is restored.")
		return d.String()
	}
	fromLine(d, p.From, copyEncrypted(p.Backup))
	d.line(d.esc("into scratch database"), d.code(p.Scratch), d.esc("on "+p.Server))
	d.text(restoreNeeds(p))
	d.text("It is dropped afterwards, whatever happens. Nothing runs before the button.")
	return d.String()
}

// restoreNeeds is the space a restore needs, the server's, and the tool.
func restoreNeeds(p jobs.RestorePreview) string {
	free := "unknown"
	if p.ServerFree >= 0 {
		free = humanize.Bytes(p.ServerFree)
	}
	return fmt.Sprintf("needs about %s · server free %s · pg_restore %s", humanize.Bytes(p.NeedBytes), free, p.PgRestore)
}

// RestoreBrief is a passed scheduled restore test in one line, for
// NOTIFY_SUCCESS=brief.
func RestoreBrief(r jobs.RestoreReport) string {
	if r.CiphertextOnly {
		return fmt.Sprintf("⚠️ Restore test: ciphertext checked, NOT restored · %s on %s · no identity to decrypt it",
			html.EscapeString(r.Backup.Name), html.EscapeString(r.From))
	}
	where := ""
	if r.From != "" {
		where = " on " + html.EscapeString(r.From)
	}
	return fmt.Sprintf("✅ Restore test passed · %s%s · RTO %s · RPO %s · %s rows checked", html.EscapeString(r.Backup.Name), where,
		humanize.Duration(r.RTO), humanize.Duration(r.RPO), humanize.Int(r.Rows))
}

// copyEncrypted reports whether m, a remote's manifest, records an
// encrypted copy.
func copyEncrypted(m jobs.Manifest) bool { return len(m.Remotes) == 1 && m.Remotes[0].Encrypted }
