package handlers

import (
	"html"

	tele "gopkg.in/telebot.v3"
)

// dbKey holds, in an update's context, the name of the database a handler
// works on when the chat serves several; unset with one, so that one
// database's replies read exactly as they always have.
const dbKey = "pgkeeper.database"

// WithDatabase makes every reply of c's handlers name database name.
func WithDatabase(c tele.Context, name string) { c.Set(dbKey, name) }

// Database is the database c's handlers work on ("" with one database).
func Database(c tele.Context) string {
	s, _ := c.Get(dbKey).(string)
	return s
}

// titled opens an HTML reply with its database's name, when there are several.
func titled(c tele.Context, h string) string {
	if n := Database(c); n != "" {
		return "🗄 <b>" + html.EscapeString(n) + "</b>\n" + h
	}
	return h
}

// titledPlain is titled for a reply sent as plain text.
func titledPlain(c tele.Context, text string) string {
	if n := Database(c); n != "" {
		return "🗄 " + n + "\n" + text
	}
	return text
}
