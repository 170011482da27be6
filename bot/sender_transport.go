package bot

import (
	"context"
	"io"
	"net/http"
	"sync/atomic"
)

// ctxTransport ends requests when ctx is done: telebot sends without a
// context.
type ctxTransport struct {
	ctx  context.Context
	base http.RoundTripper
	cut  *atomic.Bool // set when ctx ended a request before its answer was read
}

func (t ctxTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	stop := context.AfterFunc(t.ctx, func() { t.cut.Store(true); cancel() })
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		stop()
		cancel()
		return nil, err
	}
	resp.Body = &ctxBody{ReadCloser: resp.Body, done: func() { stop(); cancel() }}
	return resp, nil
}

// ctxBody releases its request's context once read and closed.
type ctxBody struct {
	io.ReadCloser
	done func()
}

func (b *ctxBody) Close() error {
	err := b.ReadCloser.Close()
	b.done()
	return err
}
