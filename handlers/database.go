package handlers

import (
	"html"

	tele "gopkg.in/telebot.v3"
)

// dbKey holds, in an update's context, the name of the database a handler
// works on when the chat serves several; unset with one, so that one
// database's replies read exactly as they always have.
const dbKey = "pgkeeper.database"

// headingKey holds, in an update's context, a line that opens every reply
// (the demo's "🧪 demo database"); unset in production.
const headingKey = "pgkeeper.heading"

// WithHeading makes every titled reply of c's handlers open with line.
func WithHeading(c tele.Context, line string) { c.Set(headingKey, line) }

// Heading is the line c's replies open with ("" for none).
func Heading(c tele.Context) string {
	s, _ := c.Get(headingKey).(string)
	return s
}

// WithDatabase makes every reply of c's handlers name database name.
func WithDatabase(c tele.Context, name string) { c.Set(dbKey, name) }

// Database is the database c's handlers work on ("" with one database).
func Database(c tele.Context) string {
	s, _ := c.Get(dbKey).(string)
	return s
}

// titled opens an HTML reply with its database's name, when there are
// several, and the heading, when there is one.
func titled(c tele.Context, h string) string {
	if n := Database(c); n != "" {
		h = "🗄 <b>" + html.EscapeString(n) + "</b>\n" + h
	}
	return HeadedHTML(Heading(c), h)
}

// titledPlain is titled for a reply sent as plain text.
func titledPlain(c tele.Context, text string) string {
	if n := Database(c); n != "" {
		text = "🗄 " + n + "\n" + text
	}
	if line := Heading(c); line != "" {
		text = line + "\n" + text
	}
	return text
}

// HeadedHTML opens h with heading line in bold ("" : h as it is); what the
// bot posts unasked is headed the same way as its replies.
func HeadedHTML(line, h string) string {
	if line == "" {
		return h
	}
	return "<b>" + html.EscapeString(line) + "</b>\n" + h
}
