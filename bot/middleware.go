package bot

import (
	"fmt"
	"runtime/debug"

	tele "gopkg.in/telebot.v3"
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
// copes with updates that have no sender (channel posts).
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
		b.log.Warn("refused a non-admin", "user_id", uid, "chat_id", chat)
		if c.Callback() != nil {
			return c.Respond(&tele.CallbackResponse{Text: refusal})
		}
		if c.Chat() == nil {
			return nil
		}
		return c.Send(refusal)
	}
}

// track counts running handlers so shutdown can wait for them.
func (b *Bot) track(next tele.HandlerFunc) tele.HandlerFunc {
	return func(c tele.Context) error {
		b.inflight.Add(1)
		defer b.inflight.Done()
		return next(c)
	}
}
