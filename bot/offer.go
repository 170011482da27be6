package bot

import (
	"context"
	"errors"
	"fmt"
	stdhtml "html"

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
	html = handlers.HeadedHTML(b.heading, html)
	err := b.confirmer.Send(b.tb, &tele.Chat{ID: b.chatID}, b.chatID, b.threadID, 0, b.confirmer.Store.TTL(), html,
		handlers.ActionCleanup, "", handlers.DeleteLabel(toDelete), "Cancel")
	return b.red.Error(err)
}

// OfferCleanupFor is OfferCleanup for database name when the chat serves
// several: the post names it and its button deletes that database's keys
// only. With one database it is OfferCleanup.
func (b *Bot) OfferCleanupFor(ctx context.Context, name, html string, toDelete int64) error {
	if b.cleanupIn == nil {
		return b.OfferCleanup(ctx, html, toDelete)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if !b.cleanupIn[name] {
		return fmt.Errorf("offer cleanup: database %q has no cleanup job", name)
	}
	cf := b.confirmer.For(name)
	html = handlers.HeadedHTML(b.heading, "🗄 <b>"+stdhtml.EscapeString(name)+"</b>\n"+html)
	err := cf.Send(b.tb, &tele.Chat{ID: b.chatID}, b.chatID, b.threadID, 0, cf.Store.TTL(), html,
		handlers.ActionCleanup, "", handlers.DeleteLabel(toDelete), "Cancel")
	return b.red.Error(err)
}
