package bot

import (
	"context"
	"errors"

	tele "gopkg.in/telebot.v3"

	"github.com/pgkeeper/pgkeeper/handlers"
)

// OfferCleanup posts html to the alert chat with [Delete N keys] [Cancel],
// the same confirmation /cleanup offers: a scheduled cleanup held back by its
// guards asks a person this way. The error says the post did not get through
// (Telegram unreachable, or no cleanup configured); the caller falls back to a
// plain notice.
func (b *Bot) OfferCleanup(ctx context.Context, html string, toDelete int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !b.cleanup {
		return errors.New("offer cleanup: the bot has no cleanup job")
	}
	err := b.confirmer.Send(b.tb, &tele.Chat{ID: b.chatID}, b.chatID, b.threadID, 0, b.confirmer.Store.TTL(), html,
		handlers.ActionCleanup, "", handlers.DeleteLabel(toDelete), "Cancel")
	return b.red.Error(err)
}
