package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ReadyTimeout bounds a /readyz check: a database that does not answer within
// it is reported as not ready, well within a probe's usual 5 s timeout.
const ReadyTimeout = 3 * time.Second

// shutdownTimeout bounds how long Serve waits for requests in flight once its
// context ends; a scrape or a probe takes milliseconds.
const shutdownTimeout = 5 * time.Second

// maxReason bounds the reason /readyz gives: a probe's log shows one line.
const maxReason = 300

// Handler serves /healthz, /readyz and /metrics. ready reports whether
// pgkeeper can do its work (the database answers); it gets a context that
// ends after ReadyTimeout, and nil means ready.
//
//   - /healthz answers 200 "ok" while the process runs: it checks nothing
//     else, so that an orchestrator does not restart pgkeeper because the
//     database is down (a restart would not bring it back).
//   - /readyz answers 200 "ready", or 503 with the reason, redacted.
//   - /metrics serves the registry in Prometheus' format.
func (m *Metrics) Handler(ready func(context.Context) error) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := m.checkReady(r.Context(), ready); err != nil {
			writeText(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
			return
		}
		writeText(w, http.StatusOK, "ready")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	return mux
}

// checkReady runs ready within ReadyTimeout and returns a short, redacted
// error fit for an unauthenticated caller.
func (m *Metrics) checkReady(ctx context.Context, ready func(context.Context) error) error {
	if ready == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, m.readyTimeout)
	defer cancel()
	err := ready(ctx)
	// A check that overran its deadline counts as failed even if it
	// eventually said yes: the probe that asked has given up by then.
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no answer within %s", m.readyTimeout)
	}
	text := strings.Join(strings.Fields(m.Redactor.String(err.Error())), " ")
	if r := []rune(text); len(r) > maxReason {
		text = string(r[:maxReason]) + "…"
	}
	return errors.New(text)
}

func writeText(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	fmt.Fprintln(w, body)
}

// Serve listens on addr (host:port) and serves Handler(ready) until ctx ends,
// then shuts down gracefully and returns nil. A listen error is returned at
// once, so that a port already in use fails at start.
func (m *Metrics) Serve(ctx context.Context, addr string, ready func(context.Context) error) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics server: %w", err)
	}
	return m.ServeListener(ctx, ln, ready)
}

// ServeListener is Serve on a listener the caller opened (and Serve closes):
// tests listen on 127.0.0.1:0, and a caller may bind before it starts the
// goroutine that serves.
func (m *Metrics) ServeListener(ctx context.Context, ln net.Listener, ready func(context.Context) error) error {
	m.registerRuntime()
	srv := &http.Server{
		Handler:           m.Handler(ready),
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
		// Requests inherit ctx, so a readiness check in flight at shutdown
		// ends at once instead of holding Shutdown for its full timeout.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("metrics server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	<-errc // Serve returns as soon as Shutdown starts; wait for it all the same
	if err != nil {
		srv.Close()
		return fmt.Errorf("metrics server shutdown: %w", err)
	}
	return nil
}

// registerRuntime adds the Go runtime's and the process's own metrics (memory,
// CPU, open files) once: pgkeeper's memory use is one of its promises.
func (m *Metrics) registerRuntime() {
	m.runtimeOnce.Do(func() {
		m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	})
}
