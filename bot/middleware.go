package bot

import (
	"fmt"
	"runtime/debug"

	tele "gopkg.in/telebot.v3"

	"github.com/pgkeeper/pgkeeper/handlers"
)

// refusal is all a stranger ever gets: no data, no buttons.
const refusal = "⛔ This bot is private."

// recoverer turns a panic of any value into an error for the funnel, so one
// bad handler never stops the bot. telebot's Recover drops non-error values.
func (b *Bot) recoverer(next tele.HandlerFunc) tele.HandlerFunc {
	return func(c tele.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
			}
		}()
		return next(c)
	}
}

// adminOnly lets only TELEGRAM_ADMIN_IDS through. Unlike telebot's Whitelist it
// copes with updates that have no sender (channel posts). In a private chat a
// stranger gets a one-line refusal; in a group or forum the bot shares with
// others, a stranger's command is only logged: a refusal for every member
// who tries /status would spam the group, and says nothing they cannot see.
// A button is refused alike everywhere, by a callback answer only its
// presser sees.
func (b *Bot) adminOnly(next tele.HandlerFunc) tele.HandlerFunc {
	return func(c tele.Context) error {
		u := c.Sender()
		if u != nil && b.admins[u.ID] {
			return next(c)
		}
		var uid, chat int64
		if u != nil {
			uid = u.ID
		}
		if c.Chat() != nil {
			chat = c.Chat().ID
		}
		b.log.Warn("refused a non-admin", "user_id", uid, "chat_id", chat, "private", handlers.Private(c))
		switch {
		case c.Callback() != nil:
			return c.Respond(&tele.CallbackResponse{Text: refusal})
		case c.Chat() == nil || !handlers.Private(c):
			return nil
		}
		return send(c, refusal)
	}
}

// send replies in c's chat and forum topic.
func send(c tele.Context, what any, opts ...any) error {
	_, err := handlers.Send(c, what, opts...)
	return err
}

// track counts running handlers so shutdown can wait for them, and gives
// their replies the bot's heading.
func (b *Bot) track(next tele.HandlerFunc) tele.HandlerFunc {
	return func(c tele.Context) error {
		if b.heading != "" {
			handlers.WithHeading(c, b.heading)
		}
		b.inflight.Add(1)
		defer b.inflight.Done()
		return next(c)
	}
}
