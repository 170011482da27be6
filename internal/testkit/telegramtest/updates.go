package telegramtest

import (
	"encoding/json"
	"slices"
	"strconv"
	"time"
)

// queued is an update waiting to be confirmed by a getUpdates offset.
type queued struct {
	id   int
	kind string // "message", "callback_query", ...
	raw  json.RawMessage
}

// SendText queues a private-chat message from user from (the chat id is
// from). A leading /command carries a bot_command entity, as from Telegram.
func (s *Server) SendText(from int64, text string) {
	s.SendTextInChat(from, from, text)
}

// SendTextInChat queues a message from user from in chat chatID (negative for a group).
func (s *Server) SendTextInChat(from, chatID int64, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &message{chatID: chatID, fromID: from, text: text}
	s.storeLocked(m)
	s.enqueueLocked("message", m.json())
}

// Press queues a callback_query: user from pressed a button with callback
// data data (raw, as on the wire: "\f<unique>|<payload>" for telebot's
// buttons) under message messageID of chat chatID. The query carries the
// message as the server knows it now.
func (s *Server) Press(from int64, chatID int64, messageID int, data string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := map[string]any{"message_id": messageID, "date": now(), "chat": chatJSON(chatID)}
	if m := s.messageLocked(chatID, messageID); m != nil {
		msg = m.json()
	}
	s.seq++
	s.enqueueLocked("callback_query", map[string]any{
		"id":            strconv.FormatInt(from, 10) + strconv.Itoa(1_000_000+s.seq),
		"from":          userJSON(from),
		"message":       msg,
		"chat_instance": "ci" + strconv.FormatInt(chatID, 10),
		"data":          data,
	})
}

// SendUpdate queues an update of any kind ("channel_post", "edited_message",
// ...) with payload as its object; update_id is added. It panics if payload
// does not marshal to JSON.
func (s *Server) SendUpdate(kind string, payload any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enqueueLocked(kind, payload)
}

func (s *Server) enqueueLocked(kind string, payload any) {
	s.lastUpd++
	raw, err := json.Marshal(map[string]any{"update_id": s.lastUpd, kind: payload})
	if err != nil {
		panic("telegramtest: update payload: " + err.Error())
	}
	s.updates = append(s.updates, queued{id: s.lastUpd, kind: kind, raw: raw})
	s.wakeLocked()
}

// Pending is the number of queued updates not yet confirmed (by a
// getUpdates with a higher offset).
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

// ConflictJSON is Telegram's answer to a getUpdates while another one is
// running (a second instance); FailNext("getUpdates", n, 409, ConflictJSON).
const ConflictJSON = `{"ok":false,"error_code":409,"description":"Conflict: terminated by other getUpdates request; ` +
	`make sure that only one bot instance is running"}`

// BadGatewayHTML is what a reverse proxy answers, with status 502, when the
// Bot API is unreachable: not JSON, which telebot takes for success.
const BadGatewayHTML = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n" +
	"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

// FloodJSON is a 429 answer asking to wait retryAfter seconds.
func FloodJSON(retryAfter int) string {
	return `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after ` + strconv.Itoa(retryAfter) +
		`","parameters":{"retry_after":` + strconv.Itoa(retryAfter) + `}}`
}

// getUpdates is a real long poll: it confirms (drops) updates below offset,
// answers at once when updates are queued, and otherwise waits up to timeout
// seconds for one. As in Telegram, a newer getUpdates ends a waiting one
// with 409 Conflict, and updates of kinds outside allowed_updates are dropped.
func (s *Server) getUpdates(r *request) result {
	offset, _ := strconv.Atoi(r.params["offset"])
	limit, _ := strconv.Atoi(r.params["limit"])
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	secs, _ := strconv.Atoi(r.params["timeout"])
	var allowed []string
	json.Unmarshal([]byte(r.params["allowed_updates"]), &allowed) // empty or invalid: all kinds
	timer := time.NewTimer(time.Duration(secs) * time.Second)
	defer timer.Stop()

	s.mu.Lock()
	s.pollGen++
	gen := s.pollGen
	s.wakeLocked()
	for {
		if s.pollGen != gen {
			s.mu.Unlock()
			return result{err: &apiError{code: 409, desc: "Conflict: terminated by other getUpdates request; " +
				"make sure that only one bot instance is running"}}
		}
		batch := s.batchLocked(offset, limit, allowed)
		if len(batch) > 0 || s.closed || secs <= 0 {
			s.mu.Unlock()
			return ok(batch)
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-timer.C:
			return ok([]json.RawMessage{})
		case <-r.ctx.Done():
			return result{gone: true}
		}
		s.mu.Lock()
	}
}

// batchLocked drops confirmed and unwanted updates and returns up to limit
// of the rest, oldest first. s.mu must be held.
func (s *Server) batchLocked(offset, limit int, allowed []string) []json.RawMessage {
	s.updates = slices.DeleteFunc(s.updates, func(u queued) bool {
		return u.id < offset || (len(allowed) > 0 && !slices.Contains(allowed, u.kind))
	})
	batch := []json.RawMessage{}
	for _, u := range s.updates[:min(limit, len(s.updates))] {
		batch = append(batch, u.raw)
	}
	return batch
}
