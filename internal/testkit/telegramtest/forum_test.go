package telegramtest

import (
	"strings"
	"testing"
	"time"

	tele "gopkg.in/telebot.v3"
)

// A forum's topic messages reach telebot as Telegram sends them, and a send
// to a topic the forum lacks is refused.
func TestForumTopics(t *testing.T) {
	const group = -1001234
	s := New(t)
	s.Forum(group, 7)
	b := newBot(t, s, &tele.LongPoller{Timeout: time.Second})
	got := make(chan *tele.Message, 1)
	b.Handle("/status", func(c tele.Context) error { got <- c.Message(); return nil })
	go b.Start()
	defer b.Stop()

	s.SendTextInTopic(42, group, 7, "/status@"+BotUsername+" full")
	var m *tele.Message
	select {
	case m = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("/status@botname in a topic was not routed to /status")
	}
	if m.ThreadID != 7 || !m.TopicMessage || m.Chat.Type != tele.ChatSuperGroup || m.Payload != "full" {
		t.Errorf("topic message read as thread %d, topic %v, type %q, payload %q",
			m.ThreadID, m.TopicMessage, m.Chat.Type, m.Payload)
	}

	for _, tc := range []struct {
		name    string
		thread  int
		wantErr string
	}{
		{name: "its topic", thread: 7},
		{name: "the General topic", thread: 0},
		{name: "a topic it lacks", thread: 8, wantErr: "thread not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sent, err := b.Send(&tele.Chat{ID: group}, "hi", &tele.SendOptions{ThreadID: tc.thread})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("send to topic %d: %v, want %q", tc.thread, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if th, _ := s.Thread(group, sent.ID); th != tc.thread || sent.ThreadID != tc.thread {
				t.Errorf("sent to topic %d, stored in %d, answered %d", tc.thread, th, sent.ThreadID)
			}
		})
	}
	if _, err := b.Send(&tele.Chat{ID: 42}, "hi", &tele.SendOptions{ThreadID: 7}); err == nil {
		t.Error("a topic of a private chat was accepted")
	}
}
