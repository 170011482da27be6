package telegramtest

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf16"
)

// chat holds the messages of one chat. As in Telegram, the bot's and the
// users' messages share one increasing sequence of ids per chat.
type chat struct {
	lastID int
	msgs   map[int]*message
	forum  bool         // a supergroup with topics (Forum)
	topics map[int]bool // its topics' message_thread_id
}

type message struct {
	id      int
	chatID  int64
	fromBot bool
	fromID  int64
	date    int64
	text    string // the caption, for media
	markup  string // raw reply_markup JSON, "" for none
	media   string // "", "document" or "photo"
	file    map[string]any
	thread  int  // forum topic (message_thread_id); 0: none
	forum   bool // its chat is a forum
}

// storeLocked gives m the chat's next id and keeps it. s.mu must be held.
func (s *Server) storeLocked(m *message) {
	c := s.chatLocked(m.chatID)
	m.forum = c.forum
	c.lastID++
	m.id, m.date = c.lastID, now()
	c.msgs[m.id] = m
}

// chatLocked returns chat id, made on first use. s.mu must be held.
func (s *Server) chatLocked(id int64) *chat {
	c := s.chats[id]
	if c == nil {
		c = &chat{msgs: map[int]*message{}, topics: map[int]bool{}}
		s.chats[id] = c
	}
	return c
}

func (s *Server) messageLocked(chatID int64, id int) *message {
	if c := s.chats[chatID]; c != nil {
		return c.msgs[id]
	}
	return nil
}

// Message returns what a chat shows now for a message (sent or edited by the
// bot, or sent by a user): its text (the caption, for a document or photo)
// and its reply_markup JSON ("" for none). ok is false for an unknown or
// deleted message.
func (s *Server) Message(chatID int64, messageID int) (text string, markup string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.messageLocked(chatID, messageID)
	if m == nil {
		return "", "", false
	}
	return m.text, m.markup, true
}

// json renders m as a Bot API Message object.
func (m *message) json() map[string]any {
	out := map[string]any{"message_id": m.id, "date": m.date, "chat": chatJSON(m.chatID)}
	if m.forum {
		out["chat"].(map[string]any)["is_forum"] = true
	}
	if m.thread != 0 {
		out["message_thread_id"], out["is_topic_message"] = m.thread, true
	}
	if m.fromBot {
		out["from"] = map[string]any{"id": BotID, "is_bot": true, "first_name": "pgkeeper test", "username": BotUsername}
	} else {
		out["from"] = userJSON(m.fromID)
	}
	if m.markup != "" {
		out["reply_markup"] = json.RawMessage(m.markup)
	}
	fileID := fmt.Sprintf("%s-%d-%d", m.media, m.chatID, m.id)
	switch m.media {
	case "":
		out["text"] = m.text
		if ents := commandEntities(m.text); ents != nil && !m.fromBot {
			out["entities"] = ents
		}
		return out
	case "photo":
		// telebot's Photo.Send dereferences the last (largest) size: there must be one.
		small := map[string]any{"file_id": fileID + "-s", "file_unique_id": fileID + "-s", "width": 320, "height": 240}
		large := map[string]any{"file_id": fileID, "file_unique_id": fileID, "width": 1280, "height": 960}
		for k, v := range m.file {
			large[k] = v
		}
		out["photo"] = []any{small, large}
	default:
		f := map[string]any{"file_id": fileID, "file_unique_id": fileID}
		for k, v := range m.file {
			f[k] = v
		}
		out[m.media] = f
	}
	if m.text != "" {
		out["caption"] = m.text
	}
	return out
}

func chatJSON(id int64) map[string]any {
	if id > 0 {
		return map[string]any{"id": id, "type": "private", "first_name": fmt.Sprintf("User%d", id)}
	}
	return map[string]any{"id": id, "type": "supergroup", "title": fmt.Sprintf("Chat %d", id)}
}

func userJSON(id int64) map[string]any {
	return map[string]any{"id": id, "is_bot": false, "first_name": fmt.Sprintf("User%d", id),
		"username": fmt.Sprintf("user%d", id), "language_code": "en"}
}

// commandEntities marks a leading /command as Telegram does. Offsets and
// lengths count UTF-16 code units.
func commandEntities(text string) []map[string]any {
	if !strings.HasPrefix(text, "/") {
		return nil
	}
	cmd := text
	if i := strings.IndexAny(text, " \t\n"); i >= 0 {
		cmd = text[:i]
	}
	if cmd == "/" {
		return nil
	}
	n := len(utf16.Encode([]rune(cmd)))
	return []map[string]any{{"type": "bot_command", "offset": 0, "length": n}}
}
