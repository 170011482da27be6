package bot_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/bot"
	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/internal/redact"
	"github.com/pgkeeper/pgkeeper/internal/testkit/bottest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/telegramtest"
)

// The admins' forum: commands come from topic 7, alerts go to topic 9
// (TELEGRAM_CHAT_ID and TELEGRAM_THREAD_ID).
const (
	forum       int64 = -1001777
	askTopic          = 7
	alertTopic        = 9
	secondAdmin int64 = 1002
)

// inForum is the bot's settings for the admins' forum.
func inForum(s *bot.Settings) {
	s.Admins = append(s.Admins, secondAdmin)
	s.ChatID, s.ThreadID = forum, alertTopic
}

// topicOf is the forum topic a call sent to (0: none).
func topicOf(c telegramtest.Call) int {
	n, _ := strconv.Atoi(c.Params["message_thread_id"])
	return n
}

// In a forum the admins share with the bot, an admin's /status@botname is
// answered in the topic it came from; a stranger's, one addressed to
// another bot, and chatter get nothing. A cleanup is confirmed there by a
// button (a stranger's press refused), and what pgkeeper posts unasked goes
// to TELEGRAM_THREAD_ID.
func TestForumTopicCommands(t *testing.T) {
	h := startCleanupWith(t, 600, nil, nil, inForum)
	h.API.Forum(forum, askTopic, alertTopic)
	rows, expired := h.count(t, ""), h.count(t, pgtest.Deletable)

	for _, tc := range []struct {
		name string
		from int64
		text string
	}{
		{"a stranger's command", bottest.Stranger, "/status@" + telegramtest.BotUsername},
		{"a stranger's plain command", bottest.Stranger, "/cleanup"},
		{"a command for another bot", bottest.Admin, "/status@other_bot"},
		{"an admin's chatter", bottest.Admin, "thanks, looks good"},
	} {
		h.API.SendTextInTopic(tc.from, forum, askTopic, tc.text)
	}
	h.API.SendTextInTopic(bottest.Admin, forum, askTopic, "/status@"+telegramtest.BotUsername)
	status := h.Reply(t, forum, "pgkeeper status")
	if topicOf(status) != askTopic {
		t.Errorf("/status answered in topic %d, want %d", topicOf(status), askTopic)
	}
	if !strings.Contains(status.Params["text"], humanize.Int(rows)+" rows") {
		t.Errorf("status lacks the keys table's %d rows:\n%s", rows, status.Params["text"])
	}
	// Updates are handled concurrently: give a stray answer time to show.
	time.Sleep(500 * time.Millisecond)
	if sent := h.API.Calls("sendMessage"); len(sent) != 1 {
		for _, c := range sent {
			t.Logf("sent to %s topic %d: %q", c.Params["chat_id"], topicOf(c), c.Params["text"])
		}
		t.Fatalf("%d messages sent, want only the admin's status", len(sent))
	}
	if !strings.Contains(h.Logs(), "user_id=6666") {
		t.Errorf("the stranger's command was not logged:\n%s", h.Logs())
	}

	// /cleanup in the topic: preview there; a stranger's press is refused
	// and deletes nothing; another admin may confirm (any admin may, as in
	// a private chat); progress and report stay in the topic.
	since := len(h.API.Calls("sendMessage"))
	h.API.SendTextInTopic(bottest.Admin, forum, askTopic, "/cleanup@"+telegramtest.BotUsername)
	preview := h.next(t, "sendMessage", since, "Nothing is deleted before the button")
	if topicOf(preview) != askTopic {
		t.Errorf("cleanup preview in topic %d, want %d", topicOf(preview), askTopic)
	}
	del := deleteButtonIn(t, h.API, forum, preview.MessageID)
	answered := len(h.API.Calls("answerCallbackQuery"))
	h.API.Press(bottest.Stranger, forum, preview.MessageID, del.Data)
	h.next(t, "answerCallbackQuery", answered, "private")
	if n := h.count(t, ""); n != rows {
		t.Fatalf("%d rows after a stranger's press, want %d", n, rows)
	}
	since = len(h.API.Calls("sendMessage"))
	h.API.Press(secondAdmin, forum, preview.MessageID, del.Data)
	prog := h.next(t, "sendMessage", since, "Cleanup starting")
	if topicOf(prog) != askTopic {
		t.Errorf("cleanup progress in topic %d, want %d", topicOf(prog), askTopic)
	}
	h.Shown(t, forum, prog.MessageID, "Cleanup deleted "+humanize.Int(expired)+" keys", 60*time.Second)
	if n := h.count(t, ""); n != rows-expired {
		t.Errorf("%d rows left, want %d", n, rows-expired)
	}

	// Unasked: a held-back cleanup's offer and an alert go to topic 9.
	if err := h.Bot.OfferCleanup(context.Background(), "held back <b>preview</b>", 1); err != nil {
		t.Fatal(err)
	}
	if offer := h.Reply(t, forum, "held back"); topicOf(offer) != alertTopic {
		t.Errorf("offer posted in topic %d, want %d", topicOf(offer), alertTopic)
	}
	if err := h.Bot.Notify(context.Background(), "⚠️ an <b>alert</b>"); err != nil {
		t.Fatal(err)
	}
	if alert := h.Reply(t, forum, "an <b>alert</b>"); topicOf(alert) != alertTopic {
		t.Errorf("alert posted in topic %d, want %d", topicOf(alert), alertTopic)
	}
	for _, c := range h.API.Calls("sendMessage") {
		if c.Params["chat_id"] != strconv.FormatInt(forum, 10) || strings.Contains(c.Params["text"], "private") {
			t.Errorf("unexpected message to %s: %q", c.Params["chat_id"], c.Params["text"])
		}
	}
}

// deleteButtonIn is the [Delete N keys] button under message id of chat.
func deleteButtonIn(t *testing.T, api *telegramtest.Server, chat int64, id int) telegramtest.Button {
	t.Helper()
	_, markup, _ := api.Message(chat, id)
	for _, b := range telegramtest.Buttons(markup) {
		if strings.HasPrefix(b.Text, "Delete ") {
			return b
		}
	}
	t.Fatalf("no Delete button under message %d: %s", id, markup)
	return telegramtest.Button{}
}

// A private chat with the bot is unchanged: no topic on replies.
func TestPrivateRepliesCarryNoTopic(t *testing.T) {
	j, _ := realJobs(t, pgtest.Seed{Companies: 1, Keys: 100, Days: 10})
	h := bottest.Start(t, j, nil)
	h.API.SendText(bottest.Admin, "/status@"+telegramtest.BotUsername)
	if r := h.Reply(t, bottest.Admin, "pgkeeper status"); r.Params["message_thread_id"] != "" {
		t.Errorf("a private reply carries message_thread_id %q", r.Params["message_thread_id"])
	}
}

// Telegram down at start: the first getMe fails, so the bot does not know
// its username yet; the poller learns it before taking updates, and a
// /status@botname in a group is then answered rather than dropped.
func TestGroupCommandAfterGetMeFailedAtStart(t *testing.T) {
	j, _ := realJobs(t, pgtest.Seed{Companies: 1, Keys: 100, Days: 10})
	api := telegramtest.New(t)
	api.FailNext("getMe", 2, 502, telegramtest.BadGatewayHTML)
	bottest.Start(t, j, func(s *bot.Settings) {
		s.APIURL, s.Token, s.Redactor = api.URL, api.Token, redact.New(api.Token)
	})
	api.SendTextInChat(bottest.Admin, forum, "/status@"+telegramtest.BotUsername)
	api.WaitCall(t, "sendMessage", func(c telegramtest.Call) bool {
		return c.Params["chat_id"] == strconv.FormatInt(forum, 10) && strings.Contains(c.Params["text"], "pgkeeper status")
	}, 20*time.Second)
	if n := api.Count("getMe"); n < 3 {
		t.Errorf("getMe called %d times, want the failed ones and a success", n)
	}
}

// Several databases in a forum topic: the overview, the picker and the
// picked database's reply stay in the topic; the picker is bound to the
// admin who asked there too.
func TestFleetInForumTopic(t *testing.T) {
	h := startFleet(t)
	h.API.Forum(forum, askTopic)
	inTopic := func(want string) telegramtest.Call {
		t.Helper()
		return h.API.WaitCall(t, "sendMessage", func(c telegramtest.Call) bool {
			return c.Params["chat_id"] == strconv.FormatInt(forum, 10) && strings.Contains(c.Params["text"], want)
		}, 30*time.Second)
	}
	h.API.SendTextInTopic(bottest.Admin, forum, askTopic, "/status@"+telegramtest.BotUsername)
	if over := inTopic("3 databases"); topicOf(over) != askTopic {
		t.Errorf("overview in topic %d, want %d", topicOf(over), askTopic)
	}
	h.API.SendTextInTopic(bottest.Admin, forum, askTopic, "/backups@"+telegramtest.BotUsername)
	picker := inTopic("Which database for")
	if topicOf(picker) != askTopic {
		t.Errorf("picker in topic %d, want %d", topicOf(picker), askTopic)
	}
	beta, ok := telegramtest.FindButton(picker.Params["reply_markup"], "beta")
	if !ok {
		t.Fatalf("no beta button: %s", picker.Params["reply_markup"])
	}
	since := h.API.Count("answerCallbackQuery")
	h.API.Press(otherAdmin, forum, picker.MessageID, beta.Data)
	refused := h.API.WaitCallAfter(t, "answerCallbackQuery", since, nil, 10*time.Second)
	if !strings.Contains(refused.Params["text"], "no longer valid") {
		t.Errorf("another admin's press of a bound picker answered %q", refused.Params["text"])
	}
	h.API.Press(bottest.Admin, forum, picker.MessageID, beta.Data)
	list := inTopic("🗄 <b>beta</b>")
	if topicOf(list) != askTopic {
		t.Errorf("beta's backups in topic %d, want %d", topicOf(list), askTopic)
	}
}
