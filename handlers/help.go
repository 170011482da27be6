package handlers

import (
	"html"
	"strings"

	tele "gopkg.in/telebot.v3"
)

// helpIntro says what pgkeeper is, for /start and /help.
const helpIntro = "<b>pgkeeper</b> keeps this service's PostgreSQL database backed up, restore-tested and tidy. " +
	"Only the admins listed in TELEGRAM_ADMIN_IDS can use it."

// Help lists every command, one line each.
func Help(cmds []Command) tele.HandlerFunc {
	return func(c tele.Context) error {
		var b strings.Builder
		b.WriteString(helpIntro + "\n\n")
		for _, cmd := range cmds {
			b.WriteString("/" + cmd.Name + " — " + html.EscapeString(cmd.Description) + "\n")
		}
		return replyHTML(c, strings.TrimRight(b.String(), "\n"))
	}
}

// Unknown answers text that is no command: say what would work.
func Unknown(c tele.Context) error {
	return c.Send("I only understand commands. Send /help for the list.")
}
