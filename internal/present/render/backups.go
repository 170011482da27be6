package render

import (
	"fmt"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// Backups renders the list of verified backups, newest first, each with
// where it lives: "local ✓ · msk ✓ · spb ✗ reason", from its manifest's
// records of its copies; remotes are the configured ones, so that a copy
// never made is said to be missing.
func Backups(l jobs.Listing, free int64, now time.Time, f Format, remotes ...string) string {
	return BackupsPage(l, free, now, f, Page{}, remotes...)
}

// BackupsItems is how many items the pages of l's list hold: its verified
// backups, then its broken ones.
func BackupsItems(l jobs.Listing) int { return len(l.Backups) + len(l.Broken) }

// BackupsPage is page p of Backups: the list's verified backups and then
// its broken ones, Size items a page, under a heading that counts them all
// and says which page this is; the totals close every page.
func BackupsPage(l jobs.Listing, free int64, now time.Time, f Format, p Page, remotes ...string) string {
	n := BackupsItems(l)
	p = p.In(n)
	from, to := p.Span(n)
	nv := len(l.Backups)
	d := &doc{f: f}
	title := fmt.Sprintf("Backups · %d", nv)
	if pages := p.Count(n); pages > 1 {
		title += fmt.Sprintf(" · page %d of %d", p.Index+1, pages)
	}
	d.line(d.bold(title))
	if nv == 0 {
		d.text("No verified backup yet. Run /backup.")
	}
	for _, m := range l.Backups[min(from, nv):min(to, nv)] {
		backupEntry(d, m, now, remotes)
	}
	// The broken heading counts them all, on each page that lists some.
	if broken := l.Broken[max(from-nv, 0):max(to-nv, 0)]; len(broken) > 0 {
		brokenBackups(d, l.Broken, broken, p.Last(n))
	}
	var total int64
	for _, m := range l.Backups {
		total += m.CompressedBytes
	}
	d.b.WriteByte('\n')
	d.text(fmt.Sprintf("total %s · %s free", humanize.Bytes(total), humanize.Bytes(free)))
	if l.Others > 0 {
		d.line(d.esc(fmt.Sprintf("%d backups of other databases or servers share this directory; pgkeeper leaves them alone",
			l.Others)))
	}
	return d.String()
}

// backupEntry is one verified backup in the list: when, kind, size, age,
// proofs, where it lives and its name.
func backupEntry(d *doc, m jobs.Manifest, now time.Time, remotes []string) {
	proof := ""
	if n := len(m.RestoreTests); n > 0 {
		last := m.RestoreTests[n-1]
		of := "" // a test of a remote's copy says whose: the local file may be fine
		if last.From != "" {
			of = " of the " + last.From + " copy"
		}
		if last.OK {
			proof = " · restore-tested" + of + " " + last.At.UTC().Format("01-02")
		} else {
			proof = " · restore test" + of + " FAILED"
		}
	}
	if m.Copy != nil {
		if m.Copy.OK {
			proof += " · copied"
		} else {
			proof += " · copy FAILED"
		}
	}
	d.line(d.mark(jobs.LevelOK), d.esc(fmt.Sprintf("%s · %s · %s · %s ago%s",
		m.Start.UTC().Format("2006-01-02 15:04"), m.Kind, humanize.Bytes(m.CompressedBytes),
		humanize.Duration(now.Sub(m.Start)), proof)))
	if where := backupWhere(m, remotes); where != "" {
		d.text("     " + where)
	}
	// The name --backup NAME and /restore_test NAME take; <code> is
	// copied with a tap in Telegram.
	d.line("     " + d.code(m.Name))
}
