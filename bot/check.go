package bot

import (
	"context"
	"fmt"
	"net/http"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/pgkeeper/pgkeeper/internal/redact"
)

// CheckAPI calls getMe and returns the bot's @username. The error never
// carries the token (telebot's errors have it in the URL).
func CheckAPI(ctx context.Context, apiURL, token string) (string, error) {
	red := redact.New(token)
	client := &http.Client{Timeout: 10 * time.Second}
	if dl, ok := ctx.Deadline(); ok {
		client.Timeout = time.Until(dl)
	}
	tb, err := tele.NewBot(tele.Settings{URL: apiURL, Token: token, Client: client, Offline: false})
	if err != nil {
		return "", fmt.Errorf("getMe at %s: %w", apiURL, red.Error(err))
	}
	return "@" + tb.Me.Username, nil
}

func redactFor(token string) *redact.Redactor { return redact.New(token) }
