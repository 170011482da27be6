package main

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/pgkeeper/pgkeeper/bot"
)

// errNoChat: the chat is not running (yet, or at all); the service then
// sends a held-back cleanup as a plain notice.
var errNoChat = errors.New("the chat is not running")

// chatOffer posts one database's held-back cleanup with its buttons through
// the chat of a serve of several, once that chat runs.
type chatOffer struct {
	chat *atomic.Pointer[bot.Bot]
	name string
}

func (o chatOffer) OfferCleanup(ctx context.Context, html string, toDelete int64) error {
	b := o.chat.Load()
	if b == nil {
		return errNoChat
	}
	return b.OfferCleanupFor(ctx, o.name, html, toDelete)
}
