package slots

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// At most n run at once on one server; another server has slots of its own;
// a cancelled wait returns the context's error and takes nothing.
func TestServers(t *testing.T) {
	for _, n := range []int{0, 1, 2} {
		s := New(n)
		var now, most atomic.Int32
		var wg sync.WaitGroup
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				release, err := s.Take(context.Background(), "db1:5432")
				if err != nil {
					t.Error(err)
					return
				}
				defer release()
				c := now.Add(1)
				for m := most.Load(); c > m && !most.CompareAndSwap(m, c); m = most.Load() {
				}
				time.Sleep(10 * time.Millisecond)
				now.Add(-1)
			}()
		}
		wg.Wait()
		if want := int32(max(n, 1)); most.Load() != want {
			t.Errorf("n=%d: at most %d at once, want %d", n, most.Load(), want)
		}
	}
	s := New(1)
	r1, _ := s.Take(context.Background(), "a:5432")
	r2, err := s.Take(context.Background(), "b:5432")
	if err != nil {
		t.Fatalf("another server waits for a's slot: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.Take(ctx, "a:5432"); err == nil {
		t.Error("a second slot on a with BACKUP_PARALLEL=1")
	}
	r1()
	r1() // once only: a second release must not free another's slot
	r3, err := s.Take(context.Background(), "a:5432")
	if err != nil {
		t.Fatal(err)
	}
	r3()
	r2()
	var none *Servers
	if release, err := none.Take(context.Background(), "x"); err != nil {
		t.Error(err)
	} else {
		release()
	}
}
