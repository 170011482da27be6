package throttle_test

import (
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/throttle"
)

func TestThrottle(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*throttle.Throttle)
		want  []bool
	}{
		{"the first passes, a burst after it does not", func(*throttle.Throttle) {}, []bool{true, false, false}},
		{"after Passed, nothing until Every", (*throttle.Throttle).Passed, []bool{false, false}},
		{"held, nothing passes", func(th *throttle.Throttle) { th.HoldUntil(time.Now().Add(time.Hour)) }, []bool{false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := throttle.New(time.Hour)
			tt.setup(th)
			for i, want := range tt.want {
				if got := th.Allow(); got != want {
					t.Fatalf("event %d: Allow() = %v, want %v", i, got, want)
				}
			}
		})
	}
	if th := throttle.New(0); !th.Allow() || !th.Allow() {
		t.Error("Every 0 held an event back")
	}
}
