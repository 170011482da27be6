package service

import (
	"context"
	"errors"
	"time"

	"github.com/pgkeeper/pgkeeper/bot"
)

// Direct is the Notifier for a serve without an outbox (its database could
// not hold one): each message goes straight to the Bot API, and is lost if
// Telegram is down. It sends no photos: charts go as their figures.
type Direct struct {
	APIURL string
	Token  string
	ChatID int64
	// ThreadID is the forum topic of ChatID (TELEGRAM_THREAD_ID); 0: none.
	ThreadID int64
}

var _ Notifier = Direct{}

// Send delivers html now, within 15 s.
func (d Direct) Send(ctx context.Context, html string) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	return bot.SendAlert(ctx, d.APIURL, d.Token, d.ChatID, d.ThreadID, html)
}

// SendPhoto refuses: without an outbox, charts go as text.
func (Direct) SendPhoto(context.Context, []byte, string) error {
	return errors.New("no outbox: photos go as text")
}
