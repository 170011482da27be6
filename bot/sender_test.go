package bot

import (
	"errors"
	"fmt"
	"testing"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/pgkeeper/pgkeeper/internal/redact"
)

// A 429 (FloodError) needs telebot to make it; the outbox's retry_after
// test covers it through the fake Bot API.
func TestSenderReadsTelegramsErrors(t *testing.T) {
	red := redact.New("123:secret-token")
	tests := []struct {
		name      string
		give      error
		refused   bool
		retryWait time.Duration
	}{
		{"bad markup", tele.NewError(400, "Bad Request: can't parse entities"), true, 0},
		{"too large", tele.NewError(413, "Request Entity Too Large"), true, 0},
		{"bad markup, redacted and wrapped", fmt.Errorf("send: %w", red.Error(tele.NewError(400, "Bad Request: can't parse entities"))), true, 0},
		{"only the text of the error", errors.New("telegram: Bad Request: message is too long (400)"), true, 0},
		{"a wrong chat", tele.NewError(400, "Bad Request: chat not found"), false, 0},
		{"a wrong topic", tele.NewError(400, "Bad Request: message thread not found"), false, 0},
		{"no rights", tele.NewError(400, "Bad Request: not enough rights to send photos to the chat"), false, 0},
		{"a proxy's page", tele.NewError(502, "Bad Gateway"), false, 0},
		{"unconfirmed", errUnconfirmed, false, 0},
	}
	var s Sender
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Refused(tt.give); got != tt.refused {
				t.Errorf("Refused = %v, want %v", got, tt.refused)
			}
			if got := s.RetryAfter(tt.give); got != tt.retryWait {
				t.Errorf("RetryAfter = %v, want %v", got, tt.retryWait)
			}
		})
	}
}
