package outbox

import (
	"context"
	"errors"
	"fmt"
	"html"
	"regexp"
	"strings"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/backoff"
	"github.com/pgkeeper/pgkeeper/store"
)

// Run delivers the outbox until ctx is done, then returns nil; a request in
// flight is cancelled. Run it once, in a goroutine of its own.
func (o *Outbox) Run(ctx context.Context) error {
	failures := 0
	retry := backoff.Backoff{Min: o.cfg.MinBackoff, Max: o.cfg.MaxBackoff}
	for ctx.Err() == nil {
		sent, err := o.step(ctx)
		switch {
		case ctx.Err() != nil:
		case errors.Is(err, store.ErrUndeliverable):
			o.log.Error("outbox: Telegram refused a notification, also as plain text; dropped it", "err", o.red.Error(err))
		case errors.Is(err, store.ErrOutboxBusy):
			wait(ctx, o.cfg.MinBackoff, nil)
		case err != nil:
			failures++
			o.failed(ctx, failures, retry.Next(), err)
		case sent:
			if failures > 0 {
				o.log.Info("outbox: delivering again", "failed_attempts", failures)
			}
			failures = 0
			retry.Reset()
		default:
			wait(ctx, o.cfg.Poll, o.wake)
		}
	}
	return nil
}

// failed logs a failed delivery (the first, then every tenth) and waits out
// the backoff d, or Telegram's retry_after when longer.
func (o *Outbox) failed(ctx context.Context, failures int, d time.Duration, err error) {
	d = max(d, o.cfg.Sender.RetryAfter(err))
	if failures == 1 || failures%10 == 0 {
		o.log.Warn("outbox: delivery failed; notifications wait in the outbox",
			"attempts", failures, "retry_in", d, "err", o.red.Error(err))
	}
	wait(ctx, d, nil)
}

// step delivers at most one message: the oldest held in memory when there
// is one (after trying to move them all into the database), otherwise the
// database's oldest. sent is false when there was nothing to deliver.
func (o *Outbox) step(ctx context.Context) (sent bool, err error) {
	o.mu.Lock()
	held := append([]store.Message(nil), o.held...)
	o.mu.Unlock()
	if len(held) > 0 {
		ectx, cancel := context.WithTimeout(ctx, enqueueTimeout)
		_, perr := o.cfg.DB.Enqueue(ectx, o.cfg.Schema, held...)
		cancel()
		if perr != nil {
			err = o.deliver(ctx, held[0])
			if err != nil && !errors.Is(err, store.ErrUndeliverable) {
				return true, err
			}
			held = held[:1]
		}
		o.mu.Lock()
		o.held = o.held[len(held):] // Send may have appended meanwhile
		o.mu.Unlock()
		return true, err
	}
	_, found, err := o.cfg.DB.DeliverNext(ctx, o.cfg.Schema, func(ctx context.Context, m store.Message) error {
		return o.deliver(ctx, m)
	})
	return found, err
}

// deliver sends m. When Telegram refuses the message itself (bad HTML, a bad
// photo), it tries once more as plain text, and gives up (ErrUndeliverable)
// if that is refused too. Errors come back redacted: they are stored.
func (o *Outbox) deliver(ctx context.Context, m store.Message) error {
	err := o.send(ctx, m, false)
	if err == nil || !o.cfg.Sender.Refused(err) {
		return err
	}
	o.log.Warn("outbox: Telegram refused a notification; sending it as plain text", "id", m.ID, "err", err)
	err2 := o.send(ctx, m, true)
	if err2 != nil && o.cfg.Sender.Refused(err2) {
		return fmt.Errorf("%w: %w", store.ErrUndeliverable, err2)
	}
	return err2
}

func (o *Outbox) send(ctx context.Context, m store.Message, plain bool) error {
	var err error
	switch {
	case plain && m.Kind == store.KindPhoto:
		text := strings.TrimSpace(plainText(m.Body) + "\n(the chart could not be sent)")
		err = o.cfg.Sender.SendText(ctx, m.ChatID, m.ThreadID, text, false)
	case plain:
		err = o.cfg.Sender.SendText(ctx, m.ChatID, m.ThreadID, plainText(m.Body), false)
	case m.Kind == store.KindPhoto:
		err = o.cfg.Sender.SendPhoto(ctx, m.ChatID, m.ThreadID, m.Photo, m.Body)
	default:
		err = o.cfg.Sender.SendText(ctx, m.ChatID, m.ThreadID, m.Body, true)
	}
	return o.red.Error(err)
}

var tagRe = regexp.MustCompile(`<[^>]*>`)

// plainText is what an HTML message reads as without its markup.
func plainText(s string) string { return html.UnescapeString(tagRe.ReplaceAllString(s, "")) }

// wait sleeps for d, until ctx is done, or until wake fires.
func wait(ctx context.Context, d time.Duration, wake <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-wake:
	}
}
