package handlers

import (
	"errors"
	"sync"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/internal/throttle"
)

// ProgressEvery is the least time between two edits of a progress message:
// Telegram rate-limits edits, and a phone needs no faster.
const ProgressEvery = 3 * time.Second

// progressMessage is one message edited in place while a job runs.
type progressMessage struct {
	mu    sync.Mutex
	c     tele.Context
	msg   *tele.Message
	edits *throttle.Throttle // at most one edit per ProgressEvery, none during a 429's retry_after
	// markup stays under every edit (a Stop button): an edit without it
	// would take the keyboard off.
	markup *tele.ReplyMarkup
}

// startProgress sends the first version of the message.
func startProgress(c tele.Context, html string) (*progressMessage, error) {
	return startProgressWith(c, html, nil)
}

// startProgressWith sends the first version with buttons that every edit
// keeps until setMarkup or finish changes them.
func startProgressWith(c tele.Context, html string, markup *tele.ReplyMarkup) (*progressMessage, error) {
	opts := []any{tele.ModeHTML}
	if markup != nil {
		opts = append(opts, markup)
	}
	msg, err := Send(c, titled(c, html), opts...)
	if err != nil {
		return nil, err
	}
	p := &progressMessage{c: c, msg: msg, edits: throttle.New(ProgressEvery), markup: markup}
	p.edits.Passed()
	return p, nil
}

// setMarkup changes the buttons later edits keep (nil: none).
func (p *progressMessage) setMarkup(m *tele.ReplyMarkup) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.markup = m
}

// update edits the message if the last edit is old enough; otherwise it
// drops this version, since a newer one will follow.
func (p *progressMessage) update(html string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.edits.Allow() {
		return
	}
	html = titled(p.c, html)
	if p.markup != nil {
		p.edit(html, p.markup)
		return
	}
	p.edit(html)
}

func (p *progressMessage) edit(html string, opts ...any) error {
	_, err := p.c.Bot().Edit(p.msg, html, append([]any{tele.ModeHTML, tele.NoPreview}, opts...)...)
	var flood tele.FloodError
	switch {
	case err == nil, errors.Is(err, tele.ErrSameMessageContent), errors.Is(err, tele.ErrMessageNotModified):
		return nil
	case errors.As(err, &flood):
		p.edits.HoldUntil(time.Now().Add(time.Duration(flood.RetryAfter) * time.Second))
	}
	return err
}

// finish replaces the progress with the final report: in place when it fits
// one message, else the first part in place and the rest as new messages.
func (p *progressMessage) finish(html string, opts ...any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	html = titled(p.c, html)
	parts := render.Split(html, render.TelegramLimit)
	last := len(parts) - 1
	first := []any{}
	if last == 0 {
		first = opts
	}
	if err := p.edit(parts[0], first...); err != nil {
		// The edit failing must not lose the report: send it fresh.
		return sendHTML(p.c, html, opts...)
	}
	for i, part := range parts[1:] {
		o := []any{tele.ModeHTML, tele.NoPreview}
		if i+1 == last {
			o = append(o, opts...)
		}
		if err := send(p.c, part, o...); err != nil {
			return err
		}
	}
	return nil
}
