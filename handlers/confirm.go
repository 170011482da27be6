package handlers

import (
	"errors"
	"strings"
	"sync"
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
	bound   map[string]bool   // actions only the admin who asked may press, in their chat
	inPlace map[string]bool   // actions that redraw their own message: a press leaves its keyboard
	// groups holds each list button's siblings (token → the tokens of its
	// keyboard), spent together when the list is drawn again.
	groups *sync.Map
	// db names the database this view's actions work on ("" with one):
	// a token's action is "<db>/<action>", so the database a button acts on
	// is held by the store with the token, never read from the button.
	db string
}

// For is the view of cf for database db: the same store and buttons, its
// actions kept apart from every other database's, and run with their
// replies naming db.
func (cf *Confirmer) For(db string) *Confirmer {
	return &Confirmer{Store: cf.Store, actions: cf.actions, answers: cf.answers, bound: cf.bound, inPlace: cf.inPlace,
		groups: cf.groups, db: db}
}

func (cf *Confirmer) key(action string) string {
	if cf.db == "" {
		return action
	}
	return cf.db + "/" + action
}

func (cf *Confirmer) bind(run Confirmed) Confirmed {
	if cf.db == "" {
		return run
	}
	return func(c tele.Context, p confirm.Pending) error {
		WithDatabase(c, cf.db)
		return run(c, p)
	}
}

// NewConfirmer returns a Confirmer over store.
func NewConfirmer(store *confirm.Store) *Confirmer {
	return &Confirmer{Store: store, actions: map[string]Confirmed{}, answers: map[string]string{}, bound: map[string]bool{},
		inPlace: map[string]bool{}, groups: &sync.Map{}}
}

// On registers what a confirmed action does.
func (cf *Confirmer) On(action string, run Confirmed) { cf.actions[cf.key(action)] = cf.bind(run) }

// OnAnswer is On with the short answer a press gets at once ("Starting…"
// does not suit a Stop button).
func (cf *Confirmer) OnAnswer(action, answer string, run Confirmed) {
	cf.actions[cf.key(action)], cf.answers[cf.key(action)] = cf.bind(run), answer
}

// OnBound is OnAnswer for an action only the admin who asked may press, in
// the chat it was offered in: anyone else's press is refused and leaves it.
func (cf *Confirmer) OnBound(action, answer string, run Confirmed) {
	cf.OnAnswer(action, answer, run)
	cf.bound[cf.key(action)] = true
}

// OnInPlace is OnBound for a list's buttons (pages, a backup's restore
// test): the action redraws the message it was pressed on, so a press
// leaves the keyboard for it to replace.
func (cf *Confirmer) OnInPlace(action, answer string, run Confirmed) {
	cf.OnBound(action, answer, run)
	cf.inPlace[cf.key(action)] = true
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
	return cf.Send(c.Bot(), c.Recipient(), c.Chat().ID, Thread(c), uid, ttl, titled(c, html), action, arg, yes, no)
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
	token := cf.Store.OfferFor(ttl, cf.key(action), arg, uid, chatID)
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
	if q, ok := cf.Store.Peek(token); ok && !cf.mayPress(c, q) {
		msg := "This button is no longer valid."
		if cf.inPlace[q.Action] {
			msg = "This list is another admin's, or another chat's: send the command yourself."
		}
		return c.Respond(&tele.CallbackResponse{Text: msg})
	}
	p, err := cf.Store.Take(token)
	if err != nil {
		// Stale, used or forged: a short answer, the buttons go, nothing runs.
		msg := "This button is no longer valid."
		switch {
		case errors.Is(err, confirm.ErrExpired) && cf.inPlace[p.Action]:
			msg = "This list's buttons expired: send the command again."
		case errors.Is(err, confirm.ErrExpired):
			msg = "This confirmation expired. Nothing was done; ask again."
		case errors.Is(err, confirm.ErrUsed) && cf.inPlace[p.Action]:
			msg = "This list was drawn again since: use the buttons under it now."
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
	if c.Message() != nil && !cf.inPlace[p.Action] {
		_, _ = c.Bot().EditReplyMarkup(c.Message(), nil)
	}
	return run(c, p)
}

// mayPress says whether c may press p's button: a bound one only as the
// admin who asked, in the chat it was offered in.
func (cf *Confirmer) mayPress(c tele.Context, p confirm.Pending) bool {
	if !cf.bound[p.Action] {
		return true
	}
	var uid, chat int64
	if c.Sender() != nil {
		uid = c.Sender().ID
	}
	if c.Chat() != nil {
		chat = c.Chat().ID
	}
	return uid == p.UserID && chat == p.ChatID
}

// Expire takes the buttons off confirmations that timed out unused, once
// per message (a list's keyboard is many confirmations).
func (cf *Confirmer) Expire(b *tele.Bot) {
	type msgKey struct {
		chat int64
		id   int
	}
	done := map[msgKey]bool{}
	for _, p := range cf.Store.Expired() {
		if p.MessageID == 0 || done[msgKey{p.ChatID, p.MessageID}] {
			continue
		}
		done[msgKey{p.ChatID, p.MessageID}] = true
		msg := &tele.StoredMessage{MessageID: itoa(p.MessageID), ChatID: p.ChatID}
		_, _ = b.EditReplyMarkup(msg, nil)
	}
}
