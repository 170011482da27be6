package jobs

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/store"
)

// TestDuringTicksWhileALongStepRuns: a count or a vacuum is one long
// statement, and progress must still come at least once a second.
func TestDuringTicksWhileALongStepRuns(t *testing.T) {
	ticks := 0
	err := during(func() { ticks++ }, func() error {
		time.Sleep(2*progressEvery + progressEvery/2)
		return errors.New("step error")
	})
	if err == nil || ticks < 2 {
		t.Fatalf("err %v, %d ticks in 2.5 s", err, ticks)
	}
}

func TestRetryBusy(t *testing.T) {
	busyFirstWait, busyMaxWait = time.Millisecond, time.Millisecond
	defer func() { busyFirstWait, busyMaxWait = 50*time.Millisecond, time.Second }()
	busy := fmt.Errorf("batch: %w", store.ErrBusy)
	tests := []struct {
		name        string
		failures    int   // busy answers before success
		other       error // a failure that is not busy
		cancel      bool
		wantCalls   int
		wantRetries int
		wantErr     error
	}{
		{"busy twice, then done", 2, nil, false, 3, 2, nil},
		{"busy for good", 1000, nil, false, busyRetries + 1, busyRetries, store.ErrBusy},
		{"another error is not retried", 0, errors.New("disk full"), false, 1, 0, nil},
		{"stopped while waiting", 1000, nil, true, 1, 1, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tt.cancel {
				cancel()
			}
			calls, retries := 0, 0
			err := retryBusy(ctx, func() error {
				calls++
				if tt.other != nil {
					return tt.other
				}
				if calls <= tt.failures {
					return busy
				}
				return nil
			}, func() { retries++ })
			want := tt.wantErr
			if tt.other != nil {
				want = tt.other
			}
			if calls != tt.wantCalls || retries != tt.wantRetries || !errors.Is(err, want) && (want != nil || err != nil) {
				t.Fatalf("calls %d retries %d err %v; want %d, %d, %v", calls, retries, err, tt.wantCalls, tt.wantRetries, want)
			}
		})
	}
}
