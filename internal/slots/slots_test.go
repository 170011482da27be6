package slots

import (
	"context"
	"errors"
	"strings"
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

// TakeAcross holds both slots and gives both back; when across fails the
// job still gets this process's slot and Warn hears it once per server; a
// cancelled wait for across gives the process's slot back.
func TestTakeAcross(t *testing.T) {
	ctx := context.Background()
	s := New(1)
	var warned []string
	s.Warn = func(server string, err error) { warned = append(warned, server+": "+err.Error()) }
	var held atomic.Int32
	ok := func(ctx context.Context, n int) (func(), error) {
		if n != 1 {
			t.Errorf("across asked for %d slots, want BACKUP_PARALLEL's 1", n)
		}
		held.Add(1)
		return func() { held.Add(-1) }, nil
	}
	release, err := s.TakeAcross(ctx, "a:5432", ok)
	if err != nil || held.Load() != 1 {
		t.Fatalf("err %v, %d server-wide slots held, want nil and 1", err, held.Load())
	}
	release()
	if held.Load() != 0 {
		t.Error("the server-wide slot was not given back")
	}

	unreachable := func(context.Context, int) (func(), error) { return nil, errors.New("no CONNECT on postgres") }
	for range 2 {
		release, err := s.TakeAcross(ctx, "b:5432", unreachable)
		if err != nil {
			t.Fatalf("a heavy job refused for want of a server-wide slot: %v", err)
		}
		release()
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "b:5432: no CONNECT") {
		t.Errorf("warned %q, want once for b:5432", warned)
	}

	cctx, cancel := context.WithCancel(ctx)
	blocked := func(ctx context.Context, _ int) (func(), error) { cancel(); <-ctx.Done(); return nil, ctx.Err() }
	if _, err := s.TakeAcross(cctx, "c:5432", blocked); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	short, stop := context.WithTimeout(ctx, time.Second)
	defer stop()
	if release, err := s.TakeAcross(short, "c:5432", ok); err != nil {
		t.Fatalf("c's slot not given back after a cancelled wait: %v", err)
	} else {
		release()
	}
	var none *Servers
	if release, err := none.TakeAcross(ctx, "x", unreachable); err != nil {
		t.Error(err)
	} else {
		release()
	}
}
