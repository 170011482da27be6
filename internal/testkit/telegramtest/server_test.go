package telegramtest

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	tele "gopkg.in/telebot.v3"
)

func newBot(t *testing.T, s *Server, p tele.Poller) *tele.Bot {
	t.Helper()
	b, err := tele.NewBot(tele.Settings{URL: s.URL, Token: s.Token, Poller: p})
	if err != nil {
		t.Fatalf("NewBot: %v", err)
	}
	return b
}

// rawPoll calls getUpdates over plain HTTP and returns the status (0 for a
// transport error) and the update ids received.
func rawPoll(s *Server, body string) (int, []int) {
	resp, err := http.Post(s.URL+"/bot"+s.Token+"/getUpdates", "application/json", strings.NewReader(body))
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var r struct {
		Result []struct {
			ID int `json:"update_id"`
		}
	}
	data, _ := io.ReadAll(resp.Body)
	json.Unmarshal(data, &r)
	var ids []int
	for _, u := range r.Result {
		ids = append(ids, u.ID)
	}
	return resp.StatusCode, ids
}

func TestTelebotMethods(t *testing.T) {
	s := New(t)
	b := newBot(t, s, nil)
	if b.Me.Username != BotUsername || s.Count("getMe") != 1 {
		t.Fatalf("getMe: %+v, %d calls", b.Me, s.Count("getMe"))
	}
	if err := b.RemoveWebhook(); err != nil {
		t.Fatal(err)
	}
	if err := b.SetCommands([]tele.Command{{Text: "status", Description: "cluster status"}}); err != nil {
		t.Fatal(err)
	}
	if cmds, err := b.Commands(); err != nil || len(cmds) != 1 || cmds[0].Text != "status" {
		t.Fatalf("Commands = %+v, %v", cmds, err)
	}

	chat := &tele.Chat{ID: 42}
	kb := &tele.ReplyMarkup{}
	kb.Inline(kb.Row(kb.Data("Approve", "approve", "job-7"), kb.Data("Deny", "deny")))
	m, err := b.Send(chat, "restore db1?", kb)
	if err != nil || m.ID != 1 || m.Chat.ID != 42 {
		t.Fatalf("Send = %+v, %v", m, err)
	}
	text, markup, ok := s.Message(42, m.ID)
	if !ok || text != "restore db1?" {
		t.Fatalf("Message = %q, %v", text, ok)
	}
	btns := Buttons(markup)
	if len(btns) != 2 || btns[0].Data != "\fapprove|job-7" || btns[0].Payload != "job-7" || btns[1].Unique != "deny" {
		t.Fatalf("Buttons = %+v", btns)
	}

	if _, err := b.Edit(m, "restore db1? (asked again)", kb); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Edit(m, "restore db1? (asked again)", kb); !errors.Is(err, tele.ErrSameMessageContent) {
		t.Fatalf("same edit: %v, want ErrSameMessageContent", err)
	}
	// An edit without a keyboard removes it, as in Telegram.
	if _, err := b.Edit(m, "restoring db1"); err != nil {
		t.Fatal(err)
	}
	if text, markup, _ := s.Message(42, m.ID); text != "restoring db1" || markup != "" {
		t.Fatalf("after edit: %q %q", text, markup)
	}
	if _, err := b.EditReplyMarkup(m, kb); err != nil {
		t.Fatal(err)
	}
	if _, markup, _ := s.Message(42, m.ID); len(Buttons(markup)) != 2 {
		t.Fatalf("after EditReplyMarkup: %q", markup)
	}

	doc := &tele.Document{File: tele.FromReader(strings.NewReader("dump")), FileName: "db1.sql", Caption: "backup"}
	dm, err := b.Send(chat, doc)
	if err != nil || dm.ID != 2 || dm.Document == nil || dm.Document.FileName != "db1.sql" {
		t.Fatalf("Send document = %+v, %v", dm, err)
	}
	if f := s.Calls("sendDocument")[0].Files["document"]; string(f.Data) != "dump" {
		t.Fatalf("uploaded %+v", f)
	}
	pm, err := b.Send(chat, &tele.Photo{File: tele.FromReader(strings.NewReader("png")), Caption: "chart"})
	if err != nil || pm.Photo == nil || pm.Caption != "chart" {
		t.Fatalf("Send photo = %+v, %v", pm, err)
	}
	if err := b.Notify(chat, tele.Typing); err != nil {
		t.Fatal(err)
	}
	if err := b.Respond(&tele.Callback{ID: "1"}, &tele.CallbackResponse{Text: "ok"}); err != nil {
		t.Fatal(err)
	}
	if c := s.Calls("answerCallbackQuery")[0]; c.Params["callback_query_id"] != "1" || c.Params["text"] != "ok" {
		t.Fatalf("answerCallbackQuery params %v", c.Params)
	}
	if err := b.Delete(m); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := s.Message(42, m.ID); ok {
		t.Fatal("deleted message still there")
	}
	if err := b.Delete(m); err == nil {
		t.Fatal("deleting twice: no error")
	}
	if _, err := b.Raw("noSuchMethod", nil); err == nil || !strings.Contains(err.Error(), "Not Found") {
		t.Fatalf("unknown method: %v", err)
	}
}

func TestLimits(t *testing.T) {
	s := New(t)
	b := newBot(t, s, nil)
	kb := &tele.ReplyMarkup{}
	kb.Inline(kb.Row(kb.Data("x", "unique", strings.Repeat("p", 60))))
	if _, err := b.Send(&tele.Chat{ID: 1}, "hi", kb); err == nil {
		t.Fatal("callback data over 64 bytes accepted")
	}
	if _, err := b.Send(&tele.Chat{ID: 1}, strings.Repeat("x", 4097)); err == nil {
		t.Fatal("4097-character message accepted")
	}
	if _, err := b.Send(&tele.Chat{ID: 1}, "<b>"+strings.Repeat("x", 4096)+"</b>", tele.ModeHTML); err != nil {
		t.Fatalf("4096 visible characters in HTML: %v", err)
	}
}

func TestWrongToken(t *testing.T) {
	s := New(t)
	_, err := tele.NewBot(tele.Settings{URL: s.URL, Token: "1:wrong"})
	if err == nil || !strings.Contains(err.Error(), "Unauthorized") {
		t.Fatalf("NewBot with a wrong token: %v", err)
	}
}

func TestFailures(t *testing.T) {
	s := New(t)
	b := newBot(t, s, nil)
	chat := &tele.Chat{ID: 5}

	// telebot's Raw takes a non-JSON error page for success: methods that
	// return only its error (Notify, Delete, Respond, SetCommands...) report
	// nothing; Send fails only when it parses the message.
	s.FailNext("*", 2, http.StatusBadGateway, BadGatewayHTML)
	if err := b.Notify(chat, tele.Typing); err != nil {
		t.Fatalf("Notify through a 502 page = %v", err)
	}
	if m, err := b.Send(chat, "x"); err == nil || m != nil {
		t.Fatalf("Send through a 502 page = %+v, %v", m, err)
	}
	s.FailNext("*", 1, http.StatusTooManyRequests, FloodJSON(7))
	var flood tele.FloodError
	if _, err := b.Send(chat, "x"); !errors.As(err, &flood) || flood.RetryAfter != 7 {
		t.Fatalf("Send on 429 = %v", err)
	}
	// A dropped connection is a transport error, and telebot's carries the token.
	s.FailNext("sendMessage", 1, 0, "")
	if _, err := b.Send(chat, "x"); err == nil || !strings.Contains(err.Error(), s.Token) {
		t.Fatalf("Send on a dropped connection = %v", err)
	}
	if m, err := b.Send(chat, "x"); err != nil || m.ID != 1 {
		t.Fatalf("Send after failures = %+v, %v", m, err)
	}

	s.FailFor(time.Hour, http.StatusConflict, ConflictJSON)
	if _, err := b.Send(chat, "x"); err == nil || !strings.Contains(err.Error(), "Conflict") {
		t.Fatalf("Send during FailFor = %v", err)
	}
	// An outage ends by itself once its time is up (however slow the machine:
	// time only goes forward).
	s.FailFor(time.Millisecond, http.StatusConflict, ConflictJSON)
	time.Sleep(5 * time.Millisecond)
	if _, err := b.Send(chat, "x"); err != nil {
		t.Fatalf("Send after FailFor = %v", err)
	}
	statuses := []int{}
	for _, c := range s.Calls("sendMessage") {
		statuses = append(statuses, c.Status)
	}
	want := []int{502, 429, 0, 200, 409, 200}
	if len(statuses) != len(want) {
		t.Fatalf("statuses %v, want %v", statuses, want)
	}
	for i := range want {
		if statuses[i] != want[i] {
			t.Fatalf("statuses %v, want %v", statuses, want)
		}
	}
}

func TestLongPoll(t *testing.T) {
	s := New(t)
	if code, ids := rawPoll(s, `{"timeout":0}`); code != 200 || len(ids) != 0 {
		t.Fatalf("short poll on an empty queue: %d %v", code, ids)
	}

	// A waiting poll is answered as soon as an update arrives.
	start := time.Now()
	go func() {
		time.Sleep(50 * time.Millisecond)
		s.SendText(7, "/status db1")
	}()
	if code, ids := rawPoll(s, `{"timeout":10}`); code != 200 || len(ids) != 1 || ids[0] != 1 {
		t.Fatalf("long poll: %d %v", code, ids)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("long poll waited %v for an update", d)
	}

	// Unconfirmed updates come again; an offset confirms them.
	s.SendText(7, "two")
	if _, ids := rawPoll(s, `{"offset":0,"timeout":1}`); len(ids) != 2 {
		t.Fatalf("unconfirmed: %v", ids)
	}
	if _, ids := rawPoll(s, `{"offset":2,"timeout":1}`); len(ids) != 1 || ids[0] != 2 {
		t.Fatalf("offset 2: %v", ids)
	}
	if _, ids := rawPoll(s, `{"offset":3,"timeout":0}`); len(ids) != 0 || s.Pending() != 0 {
		t.Fatalf("offset 3: %v, %d pending", ids, s.Pending())
	}

	// A timeout with nothing queued answers an empty list.
	start = time.Now()
	if code, ids := rawPoll(s, `{"offset":3,"timeout":1}`); code != 200 || len(ids) != 0 {
		t.Fatalf("idle poll: %d %v", code, ids)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Fatalf("idle poll returned after %v, before its timeout", d)
	}

	// Kinds outside allowed_updates are dropped.
	s.SendUpdate("channel_post", map[string]any{"message_id": 1, "date": 0, "chat": chatJSON(-100), "text": "x"})
	s.Press(7, 7, 1, "\fapprove|1")
	if _, ids := rawPoll(s, `{"offset":3,"timeout":1,"allowed_updates":["message","callback_query"]}`); len(ids) != 1 || ids[0] != 4 {
		t.Fatalf("allowed_updates: %v", ids)
	}
}

func TestSecondPollerConflicts(t *testing.T) {
	s := New(t)
	var wg sync.WaitGroup
	wg.Add(1)
	var first int
	go func() {
		defer wg.Done()
		first, _ = rawPoll(s, `{"timeout":2}`)
	}()
	for s.Count("getUpdates") == 0 {
		time.Sleep(time.Millisecond)
	}
	second, _ := rawPoll(s, `{"timeout":2}`)
	wg.Wait()
	// The poll that started first is ended by the other with 409, as in
	// Telegram; the other times out normally.
	if min(first, second) != 200 || max(first, second) != http.StatusConflict {
		t.Fatalf("polls answered %d and %d, want 200 and 409", first, second)
	}
}

func TestCloseReleasesLongPolls(t *testing.T) {
	before := runtime.NumGoroutine()
	done := make(chan struct{})
	t.Run("server", func(t *testing.T) {
		s := New(t)
		go func() {
			defer close(done)
			rawPoll(s, `{"timeout":60}`)
		}()
		for s.Count("getUpdates") == 0 {
			time.Sleep(time.Millisecond)
		}
	}) // Cleanup closes the server here.
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a long poll outlived the server")
	}
	http.DefaultClient.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestBotConversation(t *testing.T) {
	s := New(t)
	b := newBot(t, s, &tele.LongPoller{Timeout: time.Second})
	b.Handle("/restore", func(c tele.Context) error {
		kb := &tele.ReplyMarkup{}
		kb.Inline(kb.Row(kb.Data("Approve", "approve", c.Message().Payload)))
		return c.Send("restore "+c.Message().Payload+"?", kb)
	})
	b.Handle(&tele.Btn{Unique: "approve"}, func(c tele.Context) error {
		c.Respond()
		return c.Edit("restoring " + c.Data())
	})
	go b.Start()
	t.Cleanup(b.Stop)

	s.SendText(99, "/restore db1")
	sent := s.WaitCall(t, "sendMessage", nil, 5*time.Second)
	if sent.Params["chat_id"] != "99" || sent.MessageID != 2 {
		t.Fatalf("sendMessage %+v", sent)
	}
	if btn := s.PressButton(t, 99, 99, sent.MessageID, "Approve"); btn.Payload != "db1" {
		t.Fatalf("pressed %+v", btn)
	}
	s.WaitCall(t, "editMessageText", nil, 5*time.Second)
	if text, markup, _ := s.Message(99, sent.MessageID); text != "restoring db1" || markup != "" {
		t.Fatalf("admin sees %q %q", text, markup)
	}
	s.WaitCall(t, "answerCallbackQuery", nil, 5*time.Second)
}
