package handlers

import (
	"errors"
	"strings"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/pgkeeper/pgkeeper/internal/confirm"
)

// ConfirmUnique is the telebot unique name of every confirmation button; the
// callback data is "<token>|y" or "<token>|n".
const ConfirmUnique = "cf"

// Confirmed runs an action once its button was pressed. The message holding
// the buttons has already lost them.
type Confirmed func(c tele.Context, p confirm.Pending) error

// Confirmer offers destructive actions behind buttons and runs each at most
// once: single-use, expiring, and (through the bot's middleware) admins only.
type Confirmer struct {
	Store   *confirm.Store
	actions map[string]Confirmed
	answers map[string]string // what a press of each action says at once
}

// NewConfirmer returns a Confirmer over store.
func NewConfirmer(store *confirm.Store) *Confirmer {
	return &Confirmer{Store: store, actions: map[string]Confirmed{}, answers: map[string]string{}}
}

// On registers what a confirmed action does.
func (cf *Confirmer) On(action string, run Confirmed) { cf.actions[action] = run }

// OnAnswer is On with the short answer a press gets at once ("Starting…"
// does not suit a Stop button).
func (cf *Confirmer) OnAnswer(action, answer string, run Confirmed) {
	cf.actions[action], cf.answers[action] = run, answer
}

// Offer sends html with [yes] and [Cancel] buttons for action(arg).
func (cf *Confirmer) Offer(c tele.Context, html, action, arg, yes string) error {
	return cf.OfferFor(c, cf.Store.TTL(), html, action, arg, yes, "Cancel")
}

// OfferFor is Offer with its own lifetime and labels; an empty no label
// leaves out the cancel button (an undo button needs none).
func (cf *Confirmer) OfferFor(c tele.Context, ttl time.Duration, html, action, arg, yes, no string) error {
	var uid int64
	if c.Sender() != nil {
		uid = c.Sender().ID
	}
	return cf.Send(c.Bot(), c.Recipient(), c.Chat().ID, 0, uid, ttl, html, action, arg, yes, no)
}

// Send is OfferFor without an update to answer: a scheduled job posting
// buttons to the alert chat (in forum topic thread; 0: none). uid is who
// asked (0: nobody in particular).
func (cf *Confirmer) Send(b *tele.Bot, to tele.Recipient, chatID int64, thread int, uid int64, ttl time.Duration,
	html, action, arg, yes, no string) error {
	token, m := cf.Buttons(ttl, action, arg, uid, chatID, yes, no)
	opts := &tele.SendOptions{ThreadID: thread, ParseMode: tele.ModeHTML, DisableWebPagePreview: true, ReplyMarkup: m}
	msg, err := b.Send(to, html, opts)
	if err != nil {
		cf.Store.Take(token) // never shown: nothing may press it
		return err
	}
	cf.Store.Attach(token, msg.ID)
	return nil
}

// Buttons registers a confirmation and returns its token and keyboard, for a
// message the caller sends or edits itself; the caller Attaches the message.
func (cf *Confirmer) Buttons(ttl time.Duration, action, arg string, uid, chatID int64,
	yes, no string) (string, *tele.ReplyMarkup) {
	token := cf.Store.OfferFor(ttl, action, arg, uid, chatID)
	m := &tele.ReplyMarkup{}
	row := []tele.Btn{m.Data(yes, ConfirmUnique, token, "y")}
	if no != "" {
		row = append(row, m.Data(no, ConfirmUnique, token, "n"))
	}
	m.Inline(m.Row(row...))
	return token, m
}

// Handle answers a press of any confirmation button.
func (cf *Confirmer) Handle(c tele.Context) error {
	token, answer, _ := strings.Cut(c.Callback().Data, "|")
	p, err := cf.Store.Take(token)
	if err != nil {
		// Stale, used or forged: a short answer, the buttons go, nothing runs.
		msg := "This button is no longer valid."
		switch {
		case errors.Is(err, confirm.ErrExpired):
			msg = "This confirmation expired. Nothing was done; ask again."
		case errors.Is(err, confirm.ErrUsed):
			msg = "Already done: this button works once."
		}
		_ = c.Respond(&tele.CallbackResponse{Text: msg})
		if c.Message() != nil && errors.Is(err, confirm.ErrExpired) {
			_, _ = c.Bot().EditReplyMarkup(c.Message(), nil)
		}
		return nil
	}
	run, ok := cf.actions[p.Action]
	if answer != "y" || !ok {
		_ = c.Respond(&tele.CallbackResponse{Text: "Cancelled"})
		if c.Message() != nil {
			_, _ = c.Bot().Edit(c.Message(), c.Message().Text+"\n\nCancelled: nothing was done.")
		}
		return nil
	}
	answer = "Starting…"
	if a, ok := cf.answers[p.Action]; ok {
		answer = a
	}
	_ = c.Respond(&tele.CallbackResponse{Text: answer})
	if c.Message() != nil {
		_, _ = c.Bot().EditReplyMarkup(c.Message(), nil)
	}
	return run(c, p)
}

// Expire takes the buttons off confirmations that timed out unused.
func (cf *Confirmer) Expire(b *tele.Bot) {
	for _, p := range cf.Store.Expired() {
		if p.MessageID == 0 {
			continue
		}
		msg := &tele.StoredMessage{MessageID: itoa(p.MessageID), ChatID: p.ChatID}
		_, _ = b.EditReplyMarkup(msg, nil)
	}
}
