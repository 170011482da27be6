package bot

import (
	"crypto/rand"
	"encoding/hex"
	"errors"

	"github.com/getsentry/sentry-go"
	tele "gopkg.in/telebot.v3"
)

// onError is the one funnel for handler errors: the log and Sentry get the
// details (redacted), the admin gets a short reply with an id to look them up.
func (b *Bot) onError(err error, c tele.Context) {
	id := errorID()
	err = b.red.Error(err)
	attrs := []any{"id", id, "err", err}
	if c != nil {
		if u := c.Sender(); u != nil {
			attrs = append(attrs, "user_id", u.ID)
		}
		if m := c.Message(); m != nil && m.Text != "" {
			attrs = append(attrs, "text", m.Text)
		}
	}
	b.log.Error("handler failed", attrs...)
	if b.hub != nil && b.hub.Client() != nil {
		hub := b.hub.Clone()
		hub.ConfigureScope(func(s *sentry.Scope) {
			s.SetTag("component", "bot")
			s.SetTag("error_id", id)
			if c != nil && c.Message() != nil {
				s.SetTag("operation", c.Message().Text)
			}
		})
		hub.CaptureException(errors.New(err.Error()))
	}
	if c == nil || c.Chat() == nil {
		return
	}
	if c.Callback() != nil {
		_ = c.Respond(&tele.CallbackResponse{Text: "Internal error (id " + id + ")"})
	}
	msg := "⚠️ Internal error (id " + id + "). The details are in pgkeeper's log; " +
		"try again, and if it repeats, look the id up there."
	if sendErr := send(c, msg); sendErr != nil {
		b.log.Warn("could not tell the admin about an error", "id", id, "err", b.red.Error(sendErr))
	}
}

func errorID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
