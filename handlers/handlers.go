// Package handlers answers the bot's commands and buttons, one file each. A
// handler calls a job, renders its report and replies; it knows nothing of
// pg_dump or SQL.
package handlers

import (
	"strconv"

	tele "gopkg.in/telebot.v3"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
)

// Command is a bot command and its one-line description, for /help and the
// Bot API's command menu.
type Command struct {
	Name        string // without the slash
	Description string
}

// replyHTML sends a rendered report, split into as many messages as Telegram
// needs, never cut inside a tag.
func replyHTML(c tele.Context, html string, opts ...any) error {
	return sendHTML(c, titled(c, html), opts...)
}

// sendHTML is replyHTML for html already titled.
func sendHTML(c tele.Context, html string, opts ...any) error {
	parts := render.Split(html, render.TelegramLimit)
	for i, p := range parts {
		o := []any{tele.ModeHTML, tele.NoPreview}
		// Buttons go under the last part, where the reader ends up.
		if i == len(parts)-1 {
			o = append(o, opts...)
		}
		if err := send(c, p, o...); err != nil {
			return err
		}
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }
