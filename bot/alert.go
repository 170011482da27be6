package bot

import (
	"context"

	tele "gopkg.in/telebot.v3"

	"github.com/pgkeeper/pgkeeper/handlers"
	"github.com/pgkeeper/pgkeeper/internal/present/render"
)

// alerter builds the handlers' Alert: Sentry gets the error, and the alert
// chat gets the report unless it was already shown there.
func (b *Bot) alerter(capture func(string, error)) handlers.Alert {
	return b.alerterVia(capture, b.notify)
}

// alerterVia is alerter delivering through notify (one database's outbox;
// nil: sent directly).
func (b *Bot) alerterVia(capture func(string, error), notify func(context.Context, string) error) handlers.Alert {
	return func(ctx context.Context, component string, err error, report string, shownIn int64) {
		b.log.Error(component+" failed", "err", b.red.Error(err))
		if capture != nil {
			capture(component, b.red.Error(err))
		}
		if b.chatID == 0 || shownIn == b.chatID {
			return
		}
		send := b.Notify
		if notify != nil {
			send = notify
		}
		if err := send(ctx, report); err != nil {
			b.log.Error("could not deliver an alert", "component", component, "err", b.red.Error(err))
		}
	}
}

// Notify sends an HTML report to the alert chat (TELEGRAM_CHAT_ID), in its
// forum topic (TELEGRAM_THREAD_ID) when one is set.
func (b *Bot) Notify(ctx context.Context, html string) error {
	chat := &tele.Chat{ID: b.chatID}
	opts := &tele.SendOptions{ThreadID: b.threadID, ParseMode: tele.ModeHTML, DisableWebPagePreview: true}
	html = handlers.HeadedHTML(b.heading, html)
	for _, part := range render.Split(b.red.String(html), render.TelegramLimit) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if _, err := b.tb.Send(chat, part, opts); err != nil {
			return b.red.Error(err)
		}
	}
	return nil
}

// SendAlert delivers one HTML message to chatID, in forum topic thread (0:
// none), without running a bot: the shell's way to raise an alert when a job
// it ran fails.
func SendAlert(ctx context.Context, apiURL, token string, chatID, thread int64, html string) error {
	b := &Bot{chatID: chatID, threadID: int(thread), red: redactFor(token)}
	tb, err := tele.NewBot(tele.Settings{URL: apiURL, Token: token, Offline: true})
	if err != nil {
		return b.red.Error(err)
	}
	b.tb = tb
	return b.Notify(ctx, html)
}
