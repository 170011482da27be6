package store_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/store"
)

// Two handles on two databases of one server share its slots (they are
// taken in its database postgres): with n=1 the second waits until the
// first is released; with n=2 two are granted and a third waits; a
// release after the connection is gone, or twice, is harmless.
func TestServerSlotAcrossHandles(t *testing.T) {
	ctx := context.Background()
	open := func() *store.DB {
		db, err := store.Open(ctx, pgtest.NewDB(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
		return db
	}
	a, b := open(), open()
	waits := func(db *store.DB, n int) bool {
		ctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
		defer cancel()
		release, err := db.ServerSlot(ctx, n)
		if err == nil {
			release()
			return false
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("waiting for a slot: %v, want the context's deadline", err)
		}
		return true
	}

	t.Run("n=1: the second waits for the first", func(t *testing.T) {
		r1, err := a.ServerSlot(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !waits(b, 1) {
			t.Fatal("a second slot granted on another database of the server with n=1")
		}
		r1()
		r1() // once: a second release changes nothing
		r2, err := b.ServerSlot(ctx, 1)
		if err != nil {
			t.Fatalf("after the first was released: %v", err)
		}
		r2()
	})

	t.Run("n=2: two granted, a third waits", func(t *testing.T) {
		r1, err := a.ServerSlot(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		defer r1()
		r2, err := b.ServerSlot(ctx, 2)
		if err != nil {
			t.Fatalf("second of two: %v", err)
		}
		defer r2()
		if !waits(a, 2) {
			t.Error("a third slot granted with n=2")
		}
	})

	t.Run("released after its connection is gone", func(t *testing.T) {
		r1, err := a.ServerSlot(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		// What a server restart or an admin does: the lock goes with it.
		pgtest.Exec(t, pgtest.AdminURL(t), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE application_name = 'pgkeeper server slot' AND pid <> pg_backend_pid()`)
		r2, err := b.ServerSlot(ctx, 1)
		if err != nil {
			t.Fatalf("after the holder's connection was terminated: %v", err)
		}
		r1() // harmless
		if !waits(a, 1) {
			t.Error("releasing a dead slot freed another's")
		}
		r2()
	})

	t.Run("first come, first served", func(t *testing.T) {
		r1, err := a.ServerSlot(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan string, 2)
		go func() {
			r, err := b.ServerSlot(ctx, 1)
			if err != nil {
				t.Error(err)
				got <- "nobody"
				return
			}
			got <- "b"
			time.Sleep(200 * time.Millisecond)
			r()
		}()
		time.Sleep(300 * time.Millisecond) // b waits, first in the queue
		r1()
		// a, done, asks again at once: b, who waited, comes first.
		ra, err := a.ServerSlot(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		got <- "a"
		ra()
		if first := <-got; first != "b" {
			t.Errorf("%s had the slot first, want b, who waited for it", first)
		}
	})

	t.Run("postgres out of reach", func(t *testing.T) {
		u, _ := url.Parse(pgtest.AdminURL(t))
		u.Host = "127.0.0.1:1"
		_, err := store.ServerSlot(ctx, u.String(), 1)
		if !errors.Is(err, store.ErrServerSlotUnreachable) {
			t.Errorf("err = %v, want ErrServerSlotUnreachable", err)
		}
	})
}

// The slots' key cannot meet pgkeeper's other advisory locks: the migrate
// and outbox locks share hashtext('pgkeeper') as their first key.
func TestServerSlotClassIsItsOwn(t *testing.T) {
	if got := pgtest.QueryInt(t, pgtest.NewDB(t), "SELECT hashtext('pgkeeper')"); got == int64(store.ServerSlotClass) {
		t.Fatal("the server-wide slots share their first key with the migrate and outbox locks")
	}
}
