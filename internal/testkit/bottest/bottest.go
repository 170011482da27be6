// Package bottest runs the real bot, with the real telebot client, against the
// fake Bot API of internal/telegramtest, for end-to-end tests of handlers.
package bottest

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/bot"
	"github.com/pgkeeper/pgkeeper/internal/redact"
	"github.com/pgkeeper/pgkeeper/internal/testkit/logtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/telegramtest"
)

// Admin and Stranger are the user ids tests talk as.
const (
	Admin    int64 = 1001
	Stranger int64 = 6666
)

// Harness is a running bot and the fake API it talks to.
type Harness struct {
	API  *telegramtest.Server
	Bot  *bot.Bot
	logs *logtest.Buffer
	stop context.CancelFunc
	done chan error
}

// Start runs a bot with jobs against a fresh fake API; it is stopped when the
// test ends. Settings may adjust the bot (nil: defaults for tests).
func Start(t *testing.T, jobs bot.Jobs, adjust func(*bot.Settings)) *Harness {
	t.Helper()
	return StartFleet(t, []bot.Database{{Name: "db", Jobs: jobs}}, adjust)
}

// StartFleet is Start for a chat serving dbs (bot.NewFleet).
func StartFleet(t *testing.T, dbs []bot.Database, adjust func(*bot.Settings)) *Harness {
	t.Helper()
	h := &Harness{API: telegramtest.New(t), logs: &logtest.Buffer{}, done: make(chan error, 1)}
	red := redact.New(h.API.Token)
	s := bot.Settings{
		Token: h.API.Token, APIURL: h.API.URL, Admins: []int64{Admin}, ChatID: Admin,
		Logger:   slog.New(redact.NewHandler(slog.NewTextHandler(h.logs, nil), red)),
		Redactor: red,
		Poller:   &bot.Poller{Timeout: time.Second, MinBackoff: 50 * time.Millisecond, MaxBackoff: 400 * time.Millisecond},
		Drain:    5 * time.Second,
	}
	if adjust != nil {
		adjust(&s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b, err := bot.NewFleet(ctx, s, dbs)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	h.Bot, h.stop = b, cancel
	go func() { h.done <- b.Run(ctx) }()
	t.Cleanup(func() { h.Stop(t) })
	return h
}

// Stop shuts the bot down as SIGTERM would and fails the test if that takes
// more than a few seconds. Calling it twice is fine.
func (h *Harness) Stop(t *testing.T) {
	t.Helper()
	if h.stop == nil {
		return
	}
	h.stop()
	h.stop = nil
	select {
	case err := <-h.done:
		if err != nil {
			t.Errorf("bot stopped with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("bot did not stop within 10 s of shutdown")
	}
}

// Logs is everything the bot logged so far.
func (h *Harness) Logs() string { return h.logs.String() }

// Reply waits for the next message the bot sends to chat after the calls seen
// so far whose text contains want, and returns the call.
func (h *Harness) Reply(t *testing.T, chat int64, want string) telegramtest.Call {
	t.Helper()
	return h.API.WaitCall(t, "sendMessage", func(c telegramtest.Call) bool {
		return c.Params["chat_id"] == itoa(chat) && strings.Contains(c.Params["text"], want)
	}, 20*time.Second)
}

// Shown waits until message id in chat reads want (after edits) and returns
// its text and markup.
func (h *Harness) Shown(t *testing.T, chat int64, id int, want string, timeout time.Duration) (string, string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		text, markup, _ := h.API.Message(chat, id)
		if strings.Contains(text, want) {
			return text, markup
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %d never showed %q; it reads:\n%s", id, want, text)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
