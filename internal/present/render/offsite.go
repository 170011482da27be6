package render

import (
	"fmt"
	"strings"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// uploadProgress is the progress line's part while a backup is copied to a
// remote: "uploading to msk 45% (370 MB of 812 MB)", the step naming the
// remote (a size not known yet, while the dump is still written, is -1).
func uploadProgress(p jobs.BackupProgress) string {
	s := p.Step
	if !strings.Contains(s, p.Remote) {
		s += " · " + p.Remote
	}
	switch {
	case p.Size > 0:
		s += fmt.Sprintf(" %d%% (%s of %s)", min(100, p.Sent*100/p.Size), humanize.Bytes(p.Sent), humanize.Bytes(p.Size))
	case p.Sent > 0:
		s += " (" + humanize.Bytes(p.Sent) + " sent)"
	}
	return s
}

// remoteFailures opens a report whose backup is good but did not reach
// every remote: what failed, that the backup here is safe, what to do.
func remoteFailures(d *doc, r jobs.BackupReport) {
	var names []string
	for _, o := range r.Remotes {
		if !o.OK() {
			names = append(names, o.Remote)
		}
	}
	if len(names) == 0 {
		return
	}
	d.line(d.mark(jobs.LevelCritical), d.bold("Off-site copy FAILED · "+strings.Join(names, ", ")))
	for _, o := range r.Remotes {
		if !o.OK() {
			d.text(o.Remote + ": " + o.Reason())
		}
	}
	d.text("The backup itself is verified and kept here; only the remote copy is missing.")
	d.text("What to do: fix the cause named above (pgkeeper check tests each remote as a backup uses it); " +
		"the next backup uploads whatever the remote lacks.")
	d.b.WriteByte('\n')
}

// backupRemotes writes one line per remote: "msk ✓ 812 MB encrypted, checked
// by read back · 2 older copies filled · retention: kept 14, deleted 1", or
// "spb ✗ reason".
func backupRemotes(d *doc, r jobs.BackupReport) {
	if len(r.Remotes) == 0 {
		return
	}
	d.heading("Off-site copies")
	for _, o := range r.Remotes {
		d.text(remoteOutcomeLine(o))
		if o.Note != "" {
			d.text("    " + o.Note)
		}
	}
}

func remoteOutcomeLine(o jobs.RemoteOutcome) string {
	var parts []string
	if !o.OK() {
		parts = append(parts, o.Remote+" ✗ "+o.Reason())
	} else if c := o.Copy; c != nil {
		what := humanize.Bytes(c.Size)
		if c.Encrypted {
			what += " encrypted"
		}
		if c.VerifiedBy != "" {
			what += ", checked by " + c.VerifiedBy
		}
		parts = append(parts, o.Remote+" ✓ "+what)
	} else {
		parts = append(parts, o.Remote+" ✓")
	}
	if n := len(o.Filled); n > 0 {
		parts = append(parts, fmt.Sprintf("%d older %s filled", n, plural(n, "copy", "copies")))
	}
	if o.Missing > 0 {
		parts = append(parts, fmt.Sprintf("%d verified %s still missing there", o.Missing, plural(o.Missing, "backup", "backups")))
	}
	if o.Aborted > 0 {
		parts = append(parts, fmt.Sprintf("%d stale %s aborted", o.Aborted, plural(o.Aborted, "upload", "uploads")))
	}
	if len(o.Kept) > 0 || len(o.Deleted) > 0 {
		kept := 0
		for _, v := range o.Kept {
			if v.Keep {
				kept++
			}
		}
		parts = append(parts, fmt.Sprintf("retention: kept %d, deleted %d", kept, len(o.Deleted)))
	}
	if o.Duration > 0 {
		parts = append(parts, humanize.Duration(o.Duration))
	}
	return strings.Join(parts, " · ")
}

// remotesBrief is the remotes' part of a one-line brief: " · msk ✓ spb ✓".
func remotesBrief(r jobs.BackupReport) string {
	var s string
	for _, o := range r.Remotes {
		mark := " ✓"
		if !o.OK() {
			mark = " ✗"
		}
		s += " " + o.Remote + mark
	}
	if s == "" {
		return ""
	}
	return " ·" + s
}

// backupWhere is where one backup lives and whether each copy was verified:
// "local ✓ · msk ✓ · spb ✗ reason"; "" when it has no remote at all.
func backupWhere(m jobs.Manifest, configured []string) string {
	if len(m.Remotes) == 0 && len(configured) == 0 {
		return ""
	}
	parts := []string{"local ✓"}
	seen := map[string]bool{}
	for _, c := range m.Remotes {
		seen[c.Remote] = true
		switch {
		case c.Verified && c.Error == "":
			parts = append(parts, c.Remote+" ✓")
		case c.Error != "":
			// The reason's start: the backup's report had it whole.
			parts = append(parts, c.Remote+" ✗ "+firstLine(c.Reason(), 120))
		default:
			parts = append(parts, c.Remote+" ✗ not verified")
		}
	}
	for _, name := range configured {
		if !seen[name] {
			parts = append(parts, name+" – not copied yet")
		}
	}
	return strings.Join(parts, " · ")
}
