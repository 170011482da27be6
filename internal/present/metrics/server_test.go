package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/metricstest"
)

func TestHandler(t *testing.T) {
	down := func(context.Context) error {
		return errors.New("connect: failed to connect to postgres://pgkeeper:s3cret-pass@db:5432/app: connection refused")
	}
	hung := func(ctx context.Context) error { <-ctx.Done(); return fmt.Errorf("ping: %w", ctx.Err()) }
	slowYes := func(ctx context.Context) error { <-ctx.Done(); return nil }
	tests := []struct {
		name     string
		path     string
		ready    func(context.Context) error
		wantCode int
		wantBody string
		dontWant string
	}{
		{name: "alive", path: "/healthz", ready: down, wantCode: 200, wantBody: "ok"},
		{name: "ready", path: "/readyz", ready: func(context.Context) error { return nil }, wantCode: 200, wantBody: "ready"},
		{name: "no readiness check", path: "/readyz", wantCode: 200, wantBody: "ready"},
		{name: "database down", path: "/readyz", ready: down, wantCode: 503,
			wantBody: "not ready: connect: failed to connect to postgres://pgkeeper:***@db:5432/app: connection refused", dontWant: "s3cret"},
		{name: "database hangs", path: "/readyz", ready: hung, wantCode: 503, wantBody: "not ready: no answer within 50ms"},
		{name: "a yes after the deadline", path: "/readyz", ready: slowYes, wantCode: 503, wantBody: "no answer within"},
		{name: "metrics", path: "/metrics", ready: down, wantCode: 200, wantBody: "pgkeeper_job_last_success{job=\"backup\"} 1"},
		{name: "unknown path", path: "/", wantCode: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			m.readyTimeout = 50 * time.Millisecond
			m.ObserveJob("backup", true, time.Second, t0)
			rec := httptest.NewRecorder()
			m.Handler(tt.ready).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
			body := rec.Body.String()
			if rec.Code != tt.wantCode {
				t.Errorf("status %d, want %d (body %q)", rec.Code, tt.wantCode, body)
			}
			if !strings.Contains(body, tt.wantBody) {
				t.Errorf("body %q does not contain %q", body, tt.wantBody)
			}
			if tt.dontWant != "" && strings.Contains(body, tt.dontWant) {
				t.Errorf("body %q leaks %q", body, tt.dontWant)
			}
		})
	}
}

func TestServeListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	m := New()
	m.ObserveRestore(90*time.Second, time.Hour)
	ready := errors.New("database unreachable")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- m.ServeListener(ctx, ln, func(context.Context) error { return ready })
	}()

	if code, _ := metricstest.Get(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz: %d, want 200", code)
	}
	if code, body := metricstest.Get(t, base+"/readyz"); code != 503 || !strings.Contains(body, "database unreachable") {
		t.Errorf("/readyz while not ready: %d %q, want 503 with the reason", code, body)
	}
	code, body := metricstest.Get(t, base+"/metrics")
	if code != 200 || !strings.Contains(body, "pgkeeper_restore_test_rto_seconds 90") {
		t.Errorf("/metrics: %d, RTO missing from:\n%s", code, body)
	}
	if !strings.Contains(body, "process_resident_memory_bytes") {
		t.Error("/metrics lacks the process collector")
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve after cancel: %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("still listening after Serve returned")
	}
}

func TestServeShutsDownDuringSlowReadiness(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := New()
	m.readyTimeout = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- m.ServeListener(ctx, ln, func(ctx context.Context) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		})
	}()
	go http.Get("http://" + ln.Addr().String() + "/readyz") //nolint:errcheck // its answer does not matter
	<-started
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v, want nil", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("a readiness check in flight held the shutdown")
	}
}

func TestServeAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = New().Serve(context.Background(), ln.Addr().String(), nil)
	if err == nil || !strings.Contains(err.Error(), "metrics server") {
		t.Fatalf("Serve on a taken port: %v, want a metrics server error", err)
	}
}
