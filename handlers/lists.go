package handlers

import (
	"errors"
	"strconv"

	tele "gopkg.in/telebot.v3"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
)

// listKeys is the keyboard of a list message (/backups, /history): every
// button a single-use confirmation bound to the admin who asked, in that
// chat, naming its action and argument in the store, never in the button.
// The first press spends them all: the list is drawn again with new ones.
type listKeys struct {
	cf        *Confirmer
	uid, chat int64
	m         *tele.ReplyMarkup
	rows      []tele.Row
	tokens    []string
}

// keys starts the keyboard of a list shown to c's sender in c's chat.
func (cf *Confirmer) keys(c tele.Context) *listKeys {
	k := &listKeys{cf: cf, m: &tele.ReplyMarkup{}}
	if c.Sender() != nil {
		k.uid = c.Sender().ID
	}
	if c.Chat() != nil {
		k.chat = c.Chat().ID
	}
	return k
}

// button is a button for action(arg), to be put in a row.
func (k *listKeys) button(label, action, arg string) tele.Btn {
	token := k.cf.Store.Offer(k.cf.key(action), arg, k.uid, k.chat)
	k.tokens = append(k.tokens, token)
	return k.m.Data(label, ConfirmUnique, token, "y")
}

// row adds a row of buttons (none: nothing).
func (k *listKeys) row(btns ...tele.Btn) {
	if len(btns) > 0 {
		k.rows = append(k.rows, k.m.Row(btns...))
	}
}

// pages adds ◀ and ▶ for page p of n items, when there are several pages:
// ◀ on all but the first, ▶ on all but the last; their argument is the page
// they go to, then "\n" and rest.
func (k *listKeys) pages(action string, p render.Page, n int, rest string) {
	p = p.In(n)
	var nav []tele.Btn
	if p.Index > 0 {
		nav = append(nav, k.button("◀", action, strconv.Itoa(p.Index-1)+"\n"+rest))
	}
	if !p.Last(n) {
		nav = append(nav, k.button("▶", action, strconv.Itoa(p.Index+1)+"\n"+rest))
	}
	k.row(nav...)
}

// markup is the keyboard (nil: no buttons), its tokens recorded as one
// group so that any of them spends the others (spend).
func (k *listKeys) markup() *tele.ReplyMarkup {
	if len(k.tokens) == 0 {
		return nil
	}
	k.cf.prune()
	for _, t := range k.tokens {
		k.cf.groups.Store(t, k.tokens)
	}
	k.m.Inline(k.rows...)
	return k.m
}

// shown records the message the keyboard is under, so it can go when the
// buttons expire; failed spends buttons nobody will see.
func (k *listKeys) shown(msgID int) {
	for _, t := range k.tokens {
		k.cf.Store.Attach(t, msgID)
	}
}

func (k *listKeys) failed() {
	for _, t := range k.tokens {
		_, _ = k.cf.Store.Take(t)
		k.cf.groups.Delete(t)
	}
}

// spend takes every button of token's keyboard: a list drawn again leaves
// none of its old buttons working.
func (cf *Confirmer) spend(token string) {
	if sib, ok := cf.groups.Load(token); ok {
		for _, t := range sib.([]string) {
			_, _ = cf.Store.Take(t)
			cf.groups.Delete(t)
		}
	}
}

// prune forgets the groups of buttons the store has let go (expired).
func (cf *Confirmer) prune() {
	cf.groups.Range(func(t, _ any) bool {
		if _, ok := cf.Store.Peek(t.(string)); !ok {
			cf.groups.Delete(t)
		}
		return true
	})
}

// sendList sends a list page as a new message with its keyboard. A page
// too long for one message (long reasons) is sent in parts, the keyboard
// under the last.
func sendList(c tele.Context, html string, k *listKeys) error {
	parts := render.Split(titled(c, html), render.TelegramLimit)
	m := k.markup()
	var msg *tele.Message
	var err error
	for i, part := range parts {
		opts := []any{tele.ModeHTML, tele.NoPreview}
		if i == len(parts)-1 && m != nil {
			opts = append(opts, m)
		}
		if msg, err = Send(c, part, opts...); err != nil {
			k.failed()
			return err
		}
	}
	k.shown(msg.ID)
	return nil
}

// editList draws a list page again in the message whose button was
// pressed. An edit is one message: a page longer than that (long reasons)
// keeps its first part.
func editList(c tele.Context, html string, k *listKeys) error {
	text := render.Split(titled(c, html), render.TelegramLimit)[0]
	opts := []any{tele.ModeHTML, tele.NoPreview}
	if m := k.markup(); m != nil {
		opts = append(opts, m)
	}
	err := c.Edit(text, opts...)
	switch {
	case err == nil:
		k.shown(c.Message().ID)
		return nil
	case errors.Is(err, tele.ErrSameMessageContent), errors.Is(err, tele.ErrMessageNotModified):
		return nil
	}
	k.failed()
	return err
}
