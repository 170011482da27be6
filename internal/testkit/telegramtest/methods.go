package telegramtest

import (
	"context"
	"encoding/json"
	"html"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// request is a decoded call handed to a method handler.
type request struct {
	ctx    context.Context
	params map[string]string
	files  map[string]File
}

// result is a method handler's answer: an error, a result, or nothing at all
// (gone: the client left during a long poll).
type result struct {
	result any
	err    *apiError
	msgID  int
	gone   bool
}

func ok(v any) result { return result{result: v} }

func fail(code int, desc string) result { return result{err: &apiError{code: code, desc: desc}} }

// handlers are the Bot API methods the server implements.
var handlers = map[string]func(*Server, *request) result{
	"getMe":                  (*Server).getMe,
	"deleteWebhook":          func(*Server, *request) result { return ok(true) },
	"setMyCommands":          (*Server).setMyCommands,
	"getMyCommands":          (*Server).getMyCommands,
	"getUpdates":             (*Server).getUpdates,
	"sendMessage":            (*Server).sendMessage,
	"editMessageText":        (*Server).editMessageText,
	"editMessageReplyMarkup": (*Server).editMessageReplyMarkup,
	"deleteMessage":          (*Server).deleteMessage,
	"answerCallbackQuery":    func(*Server, *request) result { return ok(true) },
	"sendDocument":           (*Server).sendDocument,
	"sendPhoto":              (*Server).sendPhoto,
	"sendChatAction":         func(*Server, *request) result { return ok(true) },
}

// Real Bot API error descriptions; telebot maps some of them to its errors
// (ErrSameMessageContent, ...).
const (
	errNotModified = "Bad Request: message is not modified: specified new message content and reply markup " +
		"are exactly the same as a current content and reply markup of the message"
	errChatNotFound = "Bad Request: chat not found"
)

func (s *Server) getMe(*request) result {
	return ok(map[string]any{"id": BotID, "is_bot": true, "first_name": "pgkeeper test", "username": BotUsername})
}

func (s *Server) setMyCommands(r *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commands[r.params["scope"]+"|"+r.params["language_code"]] = r.params["commands"]
	return ok(true)
}

func (s *Server) getMyCommands(r *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmds := s.commands[r.params["scope"]+"|"+r.params["language_code"]]
	if cmds == "" {
		cmds = "[]"
	}
	return ok(json.RawMessage(cmds))
}

func (s *Server) sendMessage(r *request) result {
	if res, bad := checkText(r.params["text"], r.params["parse_mode"]); bad {
		return res
	}
	return s.send(r, &message{text: r.params["text"]})
}

// checkText enforces the Bot API's limits on a message text: not empty, at
// most 4096 UTF-16 code units once formatting is parsed. HTML is stripped
// roughly; Markdown is counted as sent, which errs towards rejecting.
func checkText(text, parseMode string) (result, bool) {
	visible := text
	if strings.EqualFold(parseMode, "HTML") {
		visible = html.UnescapeString(htmlTag.ReplaceAllString(text, ""))
	}
	switch {
	case strings.TrimSpace(visible) == "":
		return fail(400, "Bad Request: message text is empty"), true
	case len(utf16.Encode([]rune(visible))) > 4096:
		return fail(400, "Bad Request: message is too long"), true
	}
	return result{}, false
}

var htmlTag = regexp.MustCompile(`<[^>]*>`)

// send stores a message from the bot and answers with it.
func (s *Server) send(r *request, m *message) result {
	chatID, err := strconv.ParseInt(r.params["chat_id"], 10, 64)
	if err != nil || chatID == 0 {
		return fail(400, errChatNotFound)
	}
	if e := checkMarkup(r.params["reply_markup"]); e != nil {
		return result{err: e}
	}
	m.chatID, m.fromBot, m.markup = chatID, true, normMarkup(r.params["reply_markup"])
	s.mu.Lock()
	defer s.mu.Unlock()
	thread, e := s.threadLocked(chatID, r.params["message_thread_id"])
	if e != nil {
		return result{err: e}
	}
	m.thread = thread
	s.storeLocked(m)
	return result{result: m.json(), msgID: m.id}
}

// editedLocked finds the message an edit call is about; s.mu must be held.
// An inline message (no chat) has nothing stored: the Bot API answers true.
func (s *Server) editedLocked(r *request) (*message, result, bool) {
	if r.params["inline_message_id"] != "" {
		return nil, ok(true), false
	}
	chatID, _ := strconv.ParseInt(r.params["chat_id"], 10, 64)
	id, _ := strconv.Atoi(r.params["message_id"])
	m := s.messageLocked(chatID, id)
	if m == nil {
		return nil, fail(400, "Bad Request: message to edit not found"), false
	}
	if !m.fromBot {
		return nil, fail(400, "Bad Request: message can't be edited"), false
	}
	return m, result{}, true
}

func (s *Server) editMessageText(r *request) result {
	text := r.params["text"]
	if res, bad := checkText(text, r.params["parse_mode"]); bad {
		return res
	}
	if e := checkMarkup(r.params["reply_markup"]); e != nil {
		return result{err: e}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, res, found := s.editedLocked(r)
	if !found {
		return res
	}
	// As in Telegram, an edit without reply_markup removes the keyboard.
	markup := normMarkup(r.params["reply_markup"])
	if m.text == text && m.markup == markup {
		return fail(400, errNotModified)
	}
	m.text, m.markup = text, markup
	return result{result: m.json(), msgID: m.id}
}

func (s *Server) editMessageReplyMarkup(r *request) result {
	if e := checkMarkup(r.params["reply_markup"]); e != nil {
		return result{err: e}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, res, found := s.editedLocked(r)
	if !found {
		return res
	}
	markup := normMarkup(r.params["reply_markup"])
	if m.markup == markup {
		return fail(400, errNotModified)
	}
	m.markup = markup
	return result{result: m.json(), msgID: m.id}
}

func (s *Server) deleteMessage(r *request) result {
	chatID, _ := strconv.ParseInt(r.params["chat_id"], 10, 64)
	id, _ := strconv.Atoi(r.params["message_id"])
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.messageLocked(chatID, id) == nil {
		return fail(400, "Bad Request: message to delete not found")
	}
	delete(s.chats[chatID].msgs, id)
	return ok(true)
}

// Upload limits of the Bot API.
const (
	maxDocument = 50 << 20
	maxPhoto    = 10 << 20
)

func (s *Server) sendDocument(r *request) result {
	f, found := upload(r, "document")
	if !found {
		return fail(400, "Bad Request: there is no document in the request")
	}
	if len(f.Data) > maxDocument {
		return fail(413, "Request Entity Too Large")
	}
	name := r.params["file_name"]
	if name == "" {
		name = f.Name
	}
	m := &message{text: r.params["caption"], media: "document"}
	m.file = map[string]any{"file_name": name, "file_size": len(f.Data)}
	return s.send(r, m)
}

func (s *Server) sendPhoto(r *request) result {
	f, found := upload(r, "photo")
	if !found {
		return fail(400, "Bad Request: there is no photo in the request")
	}
	if len(f.Data) > maxPhoto {
		return fail(413, "Request Entity Too Large")
	}
	m := &message{text: r.params["caption"], media: "photo", file: map[string]any{"file_size": len(f.Data)}}
	return s.send(r, m)
}

// upload returns the file sent in field, either uploaded or referred to by
// file_id or URL (then with no data).
func upload(r *request, field string) (File, bool) {
	if f, ok := r.files[field]; ok {
		return f, true
	}
	if v := r.params[field]; v != "" {
		return File{Name: v[strings.LastIndex(v, "/")+1:]}, true
	}
	return File{}, false
}

// normMarkup makes "no keyboard" one value, whatever way it was sent
// (absent, null, {}, an empty inline keyboard), so edits compare correctly.
func normMarkup(raw string) string {
	raw = strings.TrimSpace(raw)
	var m map[string]json.RawMessage
	if raw == "" || json.Unmarshal([]byte(raw), &m) != nil {
		return raw
	}
	for k, v := range m {
		if s := string(v); s == "null" || s == "[]" || s == "false" || s == `""` {
			delete(m, k)
		}
	}
	if len(m) == 0 {
		return ""
	}
	return raw
}

func now() int64 { return time.Now().Unix() }
