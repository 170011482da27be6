package backoff

import (
	"math"
	"testing"
	"time"
)

func TestNext(t *testing.T) {
	tests := []struct {
		name string
		give Backoff
		want []time.Duration
	}{
		{"start-up wait", Backoff{Min: time.Second, Max: 15 * time.Second},
			[]time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 15 * time.Second, 15 * time.Second}},
		{"busy cleanup batch", Backoff{Min: 50 * time.Millisecond, Max: time.Second},
			[]time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond,
				800 * time.Millisecond, time.Second, time.Second}},
		{"max below min counts as min", Backoff{Min: time.Second, Max: time.Millisecond},
			[]time.Duration{time.Second, time.Second}},
		{"min equals max", Backoff{Min: 30 * time.Second, Max: 30 * time.Second},
			[]time.Duration{30 * time.Second, 30 * time.Second}},
		{"no overflow near the largest duration", Backoff{Min: math.MaxInt64 / 3, Max: math.MaxInt64},
			[]time.Duration{math.MaxInt64 / 3, 2 * (math.MaxInt64 / 3), math.MaxInt64, math.MaxInt64}},
		{"zero value never waits", Backoff{}, []time.Duration{0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.give
			for i, want := range tt.want {
				if got := b.Next(); got != want {
					t.Fatalf("wait %d = %v, want %v", i+1, got, want)
				}
			}
		})
	}
}

func TestReset(t *testing.T) {
	b := Backoff{Min: time.Second, Max: time.Minute}
	b.Next()
	b.Next()
	b.Reset()
	if got := b.Next(); got != time.Second {
		t.Errorf("after Reset Next = %v, want Min", got)
	}
}

func TestJitter(t *testing.T) {
	tests := []struct {
		name     string
		jitter   float64
		min, max time.Duration // bounds of the first wait (Min is 1 s)
	}{
		{"none", 0, time.Second, time.Second},
		{"a quarter", 0.25, 750 * time.Millisecond, time.Second},
		{"all of it", 1, 0, time.Second},
		{"more than all counts as all", 5, 0, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spread := false
			for range 200 {
				b := Backoff{Min: time.Second, Max: time.Minute, Jitter: tt.jitter}
				got := b.Next()
				if got < tt.min || got > tt.max {
					t.Fatalf("wait %v, want between %v and %v", got, tt.min, tt.max)
				}
				spread = spread || got != time.Second
				// Jitter shortens a wait; it does not change the steps.
				if second := b.Next(); second > 2*time.Second {
					t.Fatalf("second wait %v, want at most 2s", second)
				}
			}
			if tt.jitter > 0 && !spread {
				t.Error("200 waits, none shortened")
			}
		})
	}
}
