package remote

import (
	"context"
	"strconv"
	"time"
)

// do runs one request, retrying transient failures up to the configured
// attempts with backoff, and returns an *Error for op and key. The SDK's own
// retryer is off, so this is the only retry policy: one place to bound it.
func (b *Bucket) do(ctx context.Context, op, key string, req func(context.Context) error) error {
	wait := b.backoff // a copy: each operation starts from Min
	for attempt := 1; ; attempt++ {
		sent := b.now()
		err := req(ctx)
		if err == nil {
			return nil
		}
		kind, reason := classify(err, sent)
		if kind != ErrTransient || attempt >= b.attempts || ctx.Err() != nil {
			if kind == ErrTransient && attempt > 1 {
				reason += " (after " + strconv.Itoa(attempt) + " attempts)"
			}
			return b.fail(op, key, kind, reason)
		}
		t := time.NewTimer(wait.Next())
		select {
		case <-ctx.Done():
			t.Stop()
			return b.fail(op, key, ctx.Err(), "cancelled")
		case <-t.C:
		}
	}
}

// fail builds the *Error, with any secret masked from its reason.
func (b *Bucket) fail(op, key string, kind error, reason string) error {
	return &Error{Remote: b.name, Op: op, Key: key, Kind: kind, Reason: b.secrets.String(reason)}
}
