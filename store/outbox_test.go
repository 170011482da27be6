package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/store"
)

func TestOutboxDeliversInOrderAndKeepsFailures(t *testing.T) {
	db, dbURL := migratedDB(t)
	ctx := t.Context()
	const s = store.DefaultSchema
	png := []byte("\x89PNG\r\n\x1a\nfake")
	ids, err := db.Enqueue(ctx, s,
		store.Message{ChatID: -100, Kind: store.KindHTML, Body: "<b>one</b>"},
		store.Message{ChatID: -100, ThreadID: 7, Kind: store.KindPhoto, Body: "chart", Photo: png},
		store.Message{ChatID: -100, Kind: store.KindHTML, Body: "three"},
	)
	if err != nil || len(ids) != 3 || !(ids[0] < ids[1] && ids[1] < ids[2]) {
		t.Fatalf("Enqueue = %v, %v", ids, err)
	}
	pending, err := db.Pending(ctx, s, 10)
	if err != nil || len(pending) != 3 {
		t.Fatalf("Pending = %+v, %v", pending, err)
	}
	if p := pending[1]; p.ID != ids[1] || p.ThreadID != 7 || p.Kind != store.KindPhoto || string(p.Photo) != string(png) || p.ChatID != -100 {
		t.Errorf("photo came back as %+v", p)
	}
	if pending[0].ThreadID != 0 || pending[0].Photo != nil {
		t.Errorf("text message came back as %+v", pending[0])
	}

	// A failed attempt keeps the message first in line, with its error.
	boom := errors.New("telegram: bad gateway (502)")
	m, found, err := db.DeliverNext(ctx, s, func(context.Context, store.Message) error { return boom })
	if !found || m.ID != ids[0] || !errors.Is(err, boom) {
		t.Fatalf("failed DeliverNext = %+v, %v, %v", m, found, err)
	}
	if p, _ := db.Pending(ctx, s, 1); p[0].ID != ids[0] || p[0].Attempts != 1 || p[0].LastError != boom.Error() {
		t.Errorf("after a failure the head is %+v", p[0])
	}

	var order []int64
	deliver := func(_ context.Context, m store.Message) error { order = append(order, m.ID); return nil }
	if _, _, err := db.DeliverNext(ctx, s, deliver); err != nil {
		t.Fatal(err)
	}
	// Giving up on a message moves on to the next one.
	m, found, err = db.DeliverNext(ctx, s, func(context.Context, store.Message) error {
		return fmt.Errorf("photo refused: %w", store.ErrUndeliverable)
	})
	if !found || m.ID != ids[1] || !errors.Is(err, store.ErrUndeliverable) {
		t.Fatalf("dropping DeliverNext = %+v, %v, %v", m, found, err)
	}
	if _, _, err := db.DeliverNext(ctx, s, deliver); err != nil {
		t.Fatal(err)
	}
	if _, found, err := db.DeliverNext(ctx, s, deliver); found || err != nil {
		t.Fatalf("DeliverNext on an empty outbox = %v, %v", found, err)
	}
	if fmt.Sprint(order) != fmt.Sprint([]int64{ids[0], ids[2]}) {
		t.Errorf("delivered %v, want %v", order, []int64{ids[0], ids[2]})
	}
	if n := pgtest.QueryInt(t, dbURL, "SELECT count(*) FROM pgkeeper.outbox WHERE dropped_at IS NOT NULL AND last_error LIKE 'photo refused%'"); n != 1 {
		t.Errorf("dropped messages = %d, want 1", n)
	}
	if p, _ := db.Pending(ctx, s, 10); len(p) != 0 {
		t.Errorf("still pending: %+v", p)
	}
}

func TestOutboxOneDelivererAtATime(t *testing.T) {
	db, dbURL := migratedDB(t)
	other := openDB(t, dbURL)
	ctx := t.Context()
	const s = store.DefaultSchema
	if _, err := db.Enqueue(ctx, s, store.Message{ChatID: 1, Kind: store.KindHTML, Body: "a"},
		store.Message{ChatID: 1, Kind: store.KindHTML, Body: "b"}); err != nil {
		t.Fatal(err)
	}
	var inner error
	_, _, err := db.DeliverNext(ctx, s, func(ctx context.Context, m store.Message) error {
		// Another process trying meanwhile must neither send "a" nor overtake it with "b".
		_, found, err := other.DeliverNext(ctx, s, func(context.Context, store.Message) error {
			t.Error("a second process delivered while the first was sending")
			return nil
		})
		if found || !errors.Is(err, store.ErrOutboxBusy) {
			inner = fmt.Errorf("concurrent DeliverNext = %v, %v; want ErrOutboxBusy", found, err)
		}
		return nil
	})
	if err != nil || inner != nil {
		t.Fatal(err, inner)
	}
	m, found, err := other.DeliverNext(ctx, s, func(context.Context, store.Message) error { return nil })
	if err != nil || !found || m.Body != "b" {
		t.Fatalf("after the lock is released the other process delivers b: %+v, %v, %v", m, found, err)
	}
}
