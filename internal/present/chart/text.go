package chart

import (
	"fmt"
	"strings"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// maxTextRows bounds the rows of a text fallback: it stands in for a picture
// on a phone screen, not for the history.
const maxTextRows = 8

// Texts for no data at all: the fallbacks say it in words rather than fail.
const (
	NoSizesText   = "No size samples yet: every /status and scheduled run takes one."
	NoBackupsText = "No verified backup yet."
)

// SizesText is Sizes' figures as a short plain-text table, for when a photo
// cannot be sent: the last sample of each day (at most maxTextRows days,
// spread over the span, first and last always in), then the change from the
// first to the last. Columns are aligned for a monospace font (a <pre> block
// in Telegram). A figure not measured shows as "–". With no points it
// returns NoSizesText.
func SizesText(points []jobs.SizePoint) string {
	days := dailySizes(sortedSizes(points))
	if len(days) == 0 {
		return NoSizesText
	}
	rows := spread(len(days), maxTextRows)
	var b strings.Builder
	fmt.Fprintf(&b, "Sizes by day, %s – %s\n", days[0].At.Format("Jan 2"), days[len(days)-1].At.Format("Jan 2"))
	fmt.Fprintf(&b, "%-6s %8s %8s %10s\n", "day", "database", "keys tbl", "keys")
	for _, i := range rows {
		d := days[i]
		fmt.Fprintf(&b, "%-6s %8s %8s %10s\n", d.At.Format("Jan 2"),
			optional(d.DatabaseBytes, humanize.Bytes), optional(d.KeysTableBytes, humanize.Bytes), keysRows(d))
	}
	if len(days) > 1 {
		first, last := firstMeasured(days), days[len(days)-1]
		fmt.Fprintf(&b, "%-6s %8s %8s %10s\n", "change",
			change(first.DatabaseBytes, last.DatabaseBytes, humanize.Bytes),
			change(first.KeysTableBytes, last.KeysTableBytes, humanize.Bytes),
			change(first.KeysRows, last.KeysRows, humanize.Int))
	}
	return strings.TrimRight(b.String(), "\n")
}

// dailySizes keeps each day's last measurement of each figure, so that a day
// whose last sample lacks the keys table still shows it from earlier that day.
func dailySizes(ps []jobs.SizePoint) []jobs.SizePoint {
	var days []jobs.SizePoint
	for _, p := range ps {
		if p.DatabaseBytes <= 0 && p.KeysTableBytes <= 0 {
			continue
		}
		if n := len(days); n > 0 && sameDay(days[n-1].At, p.At) {
			d := &days[n-1]
			d.At = p.At
			if p.DatabaseBytes > 0 {
				d.DatabaseBytes = p.DatabaseBytes
			}
			if p.KeysTableBytes > 0 {
				d.KeysTableBytes, d.KeysRows = p.KeysTableBytes, p.KeysRows
			}
			continue
		}
		days = append(days, p)
	}
	return days
}

// firstMeasured is the first day with each figure, for the change column.
func firstMeasured(days []jobs.SizePoint) jobs.SizePoint {
	var f jobs.SizePoint
	for _, d := range days {
		if f.DatabaseBytes <= 0 {
			f.DatabaseBytes = d.DatabaseBytes
		}
		if f.KeysTableBytes <= 0 {
			f.KeysTableBytes, f.KeysRows = d.KeysTableBytes, d.KeysRows
		}
	}
	return f
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

func keysRows(p jobs.SizePoint) string {
	if p.KeysTableBytes <= 0 {
		return "–"
	}
	return humanize.Int(p.KeysRows)
}

func optional(v int64, format func(int64) string) string {
	if v <= 0 {
		return "–"
	}
	return format(v)
}

// change is last−first, signed; "–" when either is unknown.
func change(first, last int64, format func(int64) string) string {
	if first <= 0 || last <= 0 {
		return "–"
	}
	d := last - first
	if d >= 0 {
		return "+" + format(d)
	}
	return "-" + format(-d)
}

// spread picks at most limit indexes of n, evenly spaced, first and last in.
func spread(n, limit int) []int {
	if n <= limit {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	out := make([]int, limit)
	for i := range out {
		out[i] = i * (n - 1) / (limit - 1)
	}
	return out
}

// BackupsText is Backups' figures as a short plain-text table, newest run
// first, at most maxTextRows runs (with a count of the rest), aligned for a
// monospace font. With no runs it returns NoBackupsText.
func BackupsText(runs []jobs.BackupPoint) string {
	if len(runs) == 0 {
		return NoBackupsText
	}
	rs := sortedRuns(runs)
	var b strings.Builder
	b.WriteString("Backups, newest first\n")
	fmt.Fprintf(&b, "%-12s %8s %10s\n", "run", "size", "took")
	for i := len(rs) - 1; i >= 0 && i >= len(rs)-maxTextRows; i-- {
		r := rs[i]
		fmt.Fprintf(&b, "%-12s %8s %10s\n", r.At.Format("Jan 2 15:04"), humanize.Bytes(r.Bytes), humanize.Duration(r.Duration))
	}
	if more := len(rs) - maxTextRows; more > 0 {
		fmt.Fprintf(&b, "… and %d older\n", more)
	}
	return strings.TrimRight(b.String(), "\n")
}
