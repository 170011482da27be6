package render

import (
	"fmt"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// RemoteBackups renders what a remote holds of this database (`pgkeeper
// backups --remote NAME [--verify]`): each copy with its verdict when
// verified, the broken ones, and what the listing could and could not see.
func RemoteBackups(r jobs.RemoteBackups, now time.Time, f Format) string {
	d := &doc{f: f}
	list := r.Listing.Backups
	title := fmt.Sprintf("Backups on %s · %d", r.Remote, len(list))
	if failed := r.Failed() + r.Damaged(); r.Verified && failed > 0 {
		title += fmt.Sprintf(" · %d FAILED verification", failed)
	}
	d.line(d.bold(title), d.esc("· "+r.Where))
	if r.Origin.SystemID == "" {
		d.line(d.mark(jobs.LevelWarn), d.esc("the live server does not answer: copies of database "+r.Origin.Database+
			" from any server are listed"))
	}
	if len(list) == 0 {
		d.text("No verified copy of this database there.")
	}
	var total int64
	for i, m := range list {
		c := m.Remotes[0]
		total += c.Size
		sealed := "plain"
		if c.Encrypted {
			sealed = "encrypted"
		}
		head := fmt.Sprintf("%s · %s · %s · %s · %s ago", m.Start.UTC().Format("2006-01-02 15:04"), m.Kind,
			humanize.Bytes(c.Size), sealed, humanize.Duration(now.Sub(m.Start)))
		level := jobs.LevelOK
		if r.Verified && i < len(r.Checks) {
			ch := r.Checks[i]
			switch ch.Verdict {
			case jobs.CopyOK:
				head += " · verified ✓"
				if ch.RolesUnrecorded {
					head += " (roles read, no sha256 recorded for them)"
				}
			default:
				head += " · " + string(ch.Verdict) + ": " + ch.Detail
				level = jobs.LevelCritical
			}
		}
		d.line(d.mark(level), d.esc(head))
		// The name --backup NAME takes.
		d.line("     " + d.code(m.Name))
	}
	remoteBroken(d, r.Listing.Broken)
	d.b.WriteByte('\n')
	d.text("total " + humanize.Bytes(total))
	if r.Verified {
		d.text("Each copy was read whole and its sha256 compared with its manifest's " +
			"(of the ciphertext, for encrypted copies: no key needed).")
	} else {
		d.text("Listed, with sizes as recorded; --verify reads each copy whole and compares its sha256.")
	}
	if r.Listing.Others > 0 {
		d.text(fmt.Sprintf("%d backups of other databases or servers share this prefix; pgkeeper leaves them alone",
			r.Listing.Others))
	}
	return d.String()
}

// remoteBroken lists a remote's copies that cannot be trusted.
func remoteBroken(d *doc, broken []jobs.RemoteBroken) {
	items := make([]brokenItem, 0, len(broken))
	for _, b := range broken {
		items = append(items, brokenItem{b.Name, b.Reason, b.Bytes})
	}
	brokenList(d, items, "Never used to restore, never deleted by pgkeeper.")
}

// fromLine says where a restore read its backup, when not BACKUP_DIR.
func fromLine(d *doc, from string, encrypted bool) {
	if from == "" {
		return
	}
	how := "streamed from remote " + from
	if encrypted {
		how += ", decrypted on the way"
	}
	d.text(how + " · sha256 checked as it came")
}

// ciphertextChecked is a restore test that only read an encrypted copy.
func ciphertextChecked(d *doc, r jobs.RestoreReport) {
	d.line(d.mark(jobs.LevelWarn), d.bold("Restore test: ciphertext checked, NOT restored · "+r.Backup.Name))
	if r.Backup.Name != "" {
		d.text("backup age (RPO) " + humanize.Duration(r.RPO))
	}
}
