// Package render turns job reports into what people read: Telegram HTML for
// the bot and plain text for the shell, from the same report value.
package render

import (
	"html"
	"strings"

	"github.com/pgkeeper/pgkeeper/jobs"
)

// Format is the target of a rendering.
type Format int

// Formats.
const (
	HTML  Format = iota // Telegram's HTML subset, for the bot
	Plain               // plain text, for the shell and logs
)

// doc builds a report line by line in one Format, so each report's layout is
// written once for both targets. Tags never span lines: that keeps Split safe.
type doc struct {
	f Format
	b strings.Builder
}

func (d *doc) esc(s string) string {
	if d.f == HTML {
		return html.EscapeString(s)
	}
	return s
}

func (d *doc) bold(s string) string {
	if d.f == HTML {
		return "<b>" + html.EscapeString(s) + "</b>"
	}
	return s
}

func (d *doc) code(s string) string {
	if d.f == HTML {
		return "<code>" + html.EscapeString(s) + "</code>"
	}
	return s
}

// mark is a line's status sign: emoji on a phone, words in a terminal.
func (d *doc) mark(l jobs.Level) string {
	if d.f == HTML {
		return [...]string{"✅", "⚠️", "🔴"}[l]
	}
	return [...]string{"[ok]  ", "[warn]", "[crit]"}[l]
}

// line writes pre-formatted parts (already escaped or tagged) as one line.
func (d *doc) line(parts ...string) {
	d.b.WriteString(strings.Join(parts, " "))
	d.b.WriteByte('\n')
}

// text writes one line of plain words, escaped.
func (d *doc) text(s string) { d.line(d.esc(s)) }

func (d *doc) heading(s string) {
	d.b.WriteByte('\n')
	d.line(d.bold(s))
}

// pre writes lines in a monospace block, for aligned columns.
func (d *doc) pre(lines []string) {
	if d.f == HTML {
		for i, l := range lines {
			lines[i] = html.EscapeString(l)
		}
		// A <pre> spans lines; Split keeps it whole by treating it as one block.
		d.b.WriteString("<pre>" + strings.Join(lines, "\n") + "</pre>\n")
		return
	}
	for _, l := range lines {
		d.b.WriteString("  " + l + "\n")
	}
}

// findings writes the warnings block that opens a report when anything is off.
func (d *doc) findings(fs []jobs.Finding) {
	if len(fs) == 0 {
		return
	}
	for _, f := range fs {
		d.line(d.mark(f.Level), d.esc(f.Text))
	}
}

func (d *doc) String() string { return strings.TrimRight(d.b.String(), "\n") }
