package telegramtest

import (
	"encoding/json"
	"strings"
	"testing"
)

// Button is an inline keyboard button found in a reply_markup.
type Button struct {
	Text string
	// Data is the callback_data as on the wire; for telebot's buttons it is
	// "\f<unique>|<payload>" (or "\f<unique>"), split into Unique and Payload.
	Data            string
	Unique, Payload string
	URL             string
}

// Buttons returns the inline keyboard buttons of a reply_markup JSON, row by
// row; nil for no keyboard or markup that is not JSON.
func Buttons(markupJSON string) []Button {
	var m struct {
		InlineKeyboard [][]struct {
			Text string `json:"text"`
			Data string `json:"callback_data"`
			URL  string `json:"url"`
		} `json:"inline_keyboard"`
	}
	if json.Unmarshal([]byte(markupJSON), &m) != nil {
		return nil
	}
	var out []Button
	for _, row := range m.InlineKeyboard {
		for _, k := range row {
			b := Button{Text: k.Text, Data: k.Data, URL: k.URL}
			if rest, ok := strings.CutPrefix(k.Data, "\f"); ok {
				b.Unique, b.Payload, _ = strings.Cut(rest, "|")
			}
			out = append(out, b)
		}
	}
	return out
}

// FindButton returns the first button whose text or telebot unique name is name.
func FindButton(markupJSON, name string) (Button, bool) {
	for _, b := range Buttons(markupJSON) {
		if b.Text == name || (b.Unique != "" && b.Unique == name) {
			return b, true
		}
	}
	return Button{}, false
}

// PressButton presses, as user from, the button named name (its text or
// telebot unique name) on the current keyboard of message messageID in chat
// chatID, failing the test if there is no such button. It returns the button.
func (s *Server) PressButton(tb testing.TB, from, chatID int64, messageID int, name string) Button {
	tb.Helper()
	_, markup, found := s.Message(chatID, messageID)
	if !found {
		tb.Fatalf("telegramtest: no message %d in chat %d", messageID, chatID)
	}
	b, found := FindButton(markup, name)
	if !found {
		tb.Fatalf("telegramtest: no button %q on message %d in chat %d; buttons: %+v",
			name, messageID, chatID, Buttons(markup))
	}
	s.Press(from, chatID, messageID, b.Data)
	return b
}

// checkMarkup enforces the Bot API's limit on callback data, which telebot's
// "\f<unique>|" prefix eats into.
func checkMarkup(markupJSON string) *apiError {
	for _, b := range Buttons(markupJSON) {
		if len(b.Data) > 64 {
			return &apiError{code: 400, desc: "Bad Request: BUTTON_DATA_INVALID"}
		}
	}
	return nil
}
