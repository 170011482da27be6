package handlers

import (
	tele "gopkg.in/telebot.v3"
)

// Thread is the forum topic c's update came from (0: none, or the General
// topic). Replies must go back there: telebot's c.Send drops it, and a
// reply in the General topic of a busy forum is lost to whoever asked.
func Thread(c tele.Context) int {
	if m := c.Message(); m != nil && m.TopicMessage {
		return m.ThreadID
	}
	return 0
}

// Send sends what to c's chat, in the forum topic c came from: every reply
// of pgkeeper's handlers and middleware goes through it, never c.Send.
func Send(c tele.Context, what any, opts ...any) (*tele.Message, error) {
	return c.Bot().Send(c.Recipient(), what, InThread(Thread(c), opts)...)
}

// send is Send for a caller that needs no message back.
func send(c tele.Context, what any, opts ...any) error {
	_, err := Send(c, what, opts...)
	return err
}

// InThread returns opts sending into forum topic thread (0: opts as they
// are). telebot lets a *SendOptions replace whatever came before it, so the
// thread goes into each one given, or in front when there is none.
func InThread(thread int, opts []any) []any {
	if thread == 0 {
		return opts
	}
	out := make([]any, 0, len(opts)+1)
	found := false
	for _, o := range opts {
		if so, ok := o.(*tele.SendOptions); ok && so != nil {
			cp := *so
			if cp.ThreadID == 0 {
				cp.ThreadID = thread
			}
			o, found = &cp, true
		}
		out = append(out, o)
	}
	if !found {
		out = append([]any{&tele.SendOptions{ThreadID: thread}}, out...)
	}
	return out
}

// Private says whether c came from a private chat with the bot (or has no
// chat at all): groups get no chatter about what is not a command.
func Private(c tele.Context) bool {
	ch := c.Chat()
	return ch == nil || ch.Type == tele.ChatPrivate
}
