package handlers

import (
	"html"
	"strings"

	tele "gopkg.in/telebot.v3"
)

// helpIntro says what pgkeeper is, for /start and /help.
const helpIntro = "<b>pgkeeper</b> keeps this service's PostgreSQL database backed up, restore-tested and tidy. " +
	"Only the admins listed in TELEGRAM_ADMIN_IDS can use it."

// helpRecovery points to the one job the chat does not offer: at 3 a.m.,
// with the data gone, the admin needs to know where it is.
const helpRecovery = "Data lost? Recovery runs from the shell on the server: " +
	"<code>pgkeeper restore --into NEW_DB</code> shows the plan, add <code>--yes</code> to restore, verify and keep it."

// Help lists every command, one line each.
func Help(cmds []Command) tele.HandlerFunc {
	return func(c tele.Context) error {
		var b strings.Builder
		b.WriteString(helpIntro + "\n\n")
		for _, cmd := range cmds {
			b.WriteString("/" + cmd.Name + " — " + html.EscapeString(cmd.Description) + "\n")
		}
		b.WriteString("\n" + helpRecovery)
		return replyHTML(c, b.String())
	}
}

// Unknown answers text that is no command: say what would work. In a group
// it says nothing: people talk there, and a bot that is a group admin (or
// has privacy mode off) sees every message, replies to its reports included.
func Unknown(c tele.Context) error {
	if !Private(c) {
		return nil
	}
	return send(c, "I only understand commands. Send /help for the list.")
}
