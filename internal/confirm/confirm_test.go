package confirm

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestTake(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := New(10*time.Minute, func() time.Time { return now })
	fresh := s.Offer("restore", "b1", 1, 1)
	used := s.Offer("cleanup", "", 1, 1)
	if _, err := s.Take(used); err != nil {
		t.Fatal(err)
	}
	old := s.Offer("cleanup", "", 1, 1)
	now = now.Add(10 * time.Minute)
	fresh2 := s.Offer("restore", "b2", 2, 1)
	tests := []struct {
		name  string
		token string
		want  error
		arg   string
	}{
		{"fresh one is taken", fresh2, nil, "b2"},
		{"used one is refused", used, ErrUsed, ""},
		{"expired one is refused", old, ErrExpired, ""},
		{"ttl boundary counts as expired", fresh, ErrExpired, ""},
		{"forged token", "AAAAAAAAAAAA", ErrUnknown, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := s.Take(tt.token)
			if !errors.Is(err, tt.want) || (tt.want == nil && p.Arg != tt.arg) {
				t.Fatalf("Take = %+v, %v; want %v", p, err, tt.want)
			}
		})
	}
	if got := s.Expired(); len(got) != 2 {
		t.Fatalf("Expired() = %d entries, want the two unused expired ones", len(got))
	}
}

func TestTakeOnceUnderConcurrentPresses(t *testing.T) {
	s := New(time.Minute, nil)
	token := s.Offer("cleanup", "", 1, 1)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Take(token); err == nil {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d presses ran the action, want exactly 1", wins.Load())
	}
}
