package render

import (
	"fmt"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// statusRemotes shows each remote's newest verified copy and its age, and
// says where the figures come from when the bucket could not be listed.
func statusRemotes(d *doc, r jobs.StatusReport) {
	if len(r.Remotes) == 0 {
		return
	}
	d.heading("Remotes")
	for _, rs := range r.Remotes {
		lvl := jobs.LevelOK
		if rs.Stale || !rs.Listed || rs.Broken > 0 {
			lvl = jobs.LevelWarn
		}
		head := d.code(rs.Name) + d.esc(" · "+rs.Where)
		if !rs.Listed {
			d.line(d.mark(lvl), head+d.esc(" · could not be listed: "+rs.Error))
			d.text("    from the local records, not checked now: " + remoteNewest(rs, r))
			continue
		}
		line := remoteNewest(rs, r)
		if rs.Broken > 0 {
			line += fmt.Sprintf(" · %d broken", rs.Broken)
		}
		d.line(d.mark(lvl), head+d.esc(" · "+line))
	}
}

// remoteNewest is "newest verified copy 3 h old · 14 copies", or that there
// is none.
func remoteNewest(rs jobs.RemoteStatus, r jobs.StatusReport) string {
	if rs.Newest == nil {
		return "no verified copy"
	}
	s := "newest verified copy " + humanize.Duration(rs.Age(r.At)) + " old"
	if c, ok := rs.Newest.CopyOn(rs.Name); ok && c.Encrypted {
		s += " (encrypted)"
	}
	return s + fmt.Sprintf(" · %d %s", rs.Copies, plural(rs.Copies, "copy", "copies"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// summaryRemotes counts the copies on each remote: "msk: 14 copies, newest
// 3 h old".
func summaryRemotes(d *doc, r jobs.SummaryReport) {
	for _, rs := range r.Remotes {
		lvl := jobs.LevelOK
		if rs.Stale || !rs.Listed || rs.Broken > 0 {
			lvl = jobs.LevelWarn
		}
		line := fmt.Sprintf("%s: %d %s", rs.Name, rs.Copies, plural(rs.Copies, "copy", "copies"))
		if rs.Newest != nil {
			line += ", newest " + humanize.Duration(rs.Age(r.At)) + " old"
		}
		if rs.Broken > 0 {
			line += fmt.Sprintf(", %d broken", rs.Broken)
		}
		if !rs.Listed {
			line += " (unreachable now: from the local records)"
		}
		d.line(d.mark(lvl), d.esc(line))
	}
}
