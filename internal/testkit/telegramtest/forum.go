package telegramtest

import "strconv"

// Forum makes chatID (negative: a supergroup) a forum with the given topics
// (message_thread_id values). Messages in a topic carry message_thread_id
// and is_topic_message, the chat is_forum, and a message sent to a topic
// the forum lacks (or to a topic of a chat that is no forum) is refused
// with "message thread not found", as by Telegram.
func (s *Server) Forum(chatID int64, topics ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatLocked(chatID)
	c.forum = true
	for _, t := range topics {
		c.topics[t] = true
	}
}

// SendTextInTopic queues a message from user from in forum topic thread of
// chat chatID (0: the General topic). A leading /command (or
// /command@botname) carries a bot_command entity, as from Telegram.
func (s *Server) SendTextInTopic(from, chatID int64, thread int, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &message{chatID: chatID, fromID: from, text: text, thread: thread}
	s.storeLocked(m)
	s.enqueueLocked("message", m.json())
}

// Thread is the forum topic message messageID of chat chatID is in (0: none
// or the General topic); ok is false for an unknown message.
func (s *Server) Thread(chatID int64, messageID int) (thread int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.messageLocked(chatID, messageID)
	if m == nil {
		return 0, false
	}
	return m.thread, true
}

// threadLocked checks a send's message_thread_id against the chat: a topic
// of a forum, or none. s.mu must be held.
func (s *Server) threadLocked(chatID int64, param string) (int, *apiError) {
	if param == "" || param == "0" {
		return 0, nil
	}
	t, err := strconv.Atoi(param)
	c := s.chats[chatID]
	if err != nil || c == nil || !c.forum || !c.topics[t] {
		return 0, &apiError{code: 400, desc: "Bad Request: message thread not found"}
	}
	return t, nil
}
