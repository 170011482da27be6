package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Kinds of outbox messages.
const (
	KindHTML  = "html"  // Body is Telegram HTML
	KindPhoto = "photo" // Photo is a PNG; Body is its HTML caption
)

// outboxKeep is how long delivered and dropped messages stay in the outbox,
// for looking into what was sent, before Enqueue prunes them.
const outboxKeep = "30 days"

// ErrOutboxBusy means another process is delivering the outbox right now.
var ErrOutboxBusy = errors.New("outbox is being delivered by another process")

// ErrUndeliverable, wrapped in the error a DeliverNext callback returns, gives
// up on that message: it is marked dropped and never tried again.
var ErrUndeliverable = errors.New("message cannot be delivered")

// Message is a notification in the outbox.
type Message struct {
	ID        int64
	CreatedAt time.Time
	ChatID    int64
	ThreadID  int64  // forum topic (message_thread_id); 0: none
	Kind      string // KindHTML or KindPhoto
	Body      string
	Photo     []byte
	Attempts  int
	LastError string
}

const messageColumns = "id, created_at, chat_id, coalesce(thread_id, 0), kind, body, photo, attempts, last_error"

// Enqueue adds messages to the outbox, in order, in one transaction, and
// returns their ids.
func (db *DB) Enqueue(ctx context.Context, schema string, msgs ...Message) ([]int64, error) {
	t := table(schema, "outbox")
	ids := make([]int64, 0, len(msgs))
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		for _, m := range msgs {
			var thread *int64
			if m.ThreadID != 0 {
				thread = &m.ThreadID
			}
			var id int64
			err := tx.QueryRow(ctx, fmt.Sprintf(
				"INSERT INTO %s (chat_id, thread_id, kind, body, photo) VALUES ($1, $2, $3, $4, $5) RETURNING id", t),
				m.ChatID, thread, m.Kind, m.Body, m.Photo).Scan(&id)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		_, err := tx.Exec(ctx, fmt.Sprintf(
			"DELETE FROM %s WHERE delivered_at < now() - interval '%s' OR dropped_at < now() - interval '%[2]s'", t, outboxKeep))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("enqueue notification: %w", err)
	}
	return ids, nil
}

// Pending returns up to limit undelivered messages, oldest first.
func (db *DB) Pending(ctx context.Context, schema string, limit int) ([]Message, error) {
	rows, err := db.pool.Query(ctx, fmt.Sprintf(
		"SELECT %s FROM %s WHERE delivered_at IS NULL AND dropped_at IS NULL ORDER BY id LIMIT $1",
		messageColumns, table(schema, "outbox")), limit)
	if err != nil {
		return nil, fmt.Errorf("pending notifications: %w", err)
	}
	msgs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Message])
	if err != nil {
		return nil, fmt.Errorf("pending notifications: %w", err)
	}
	return msgs, nil
}

// DeliverNext hands the oldest undelivered message to deliver and records
// the result: delivered when deliver returns nil, dropped when its error
// wraps ErrUndeliverable, otherwise one more failed attempt with the error's
// text (redact it first), the message staying first in line.
//
// It holds a transaction-scoped advisory lock meanwhile, so that two pgkeeper
// processes never send the same message or overtake each other; the other
// gets ErrOutboxBusy. found is false when the outbox is empty. The error is
// deliver's, wrapped, or the database's. A crash between a send and its
// commit sends that message again: delivery is at least once.
func (db *DB) DeliverNext(ctx context.Context, schema string,
	deliver func(context.Context, Message) error) (m Message, found bool, err error) {
	t := table(schema, "outbox")
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return m, false, fmt.Errorf("outbox: begin: %w", err)
	}
	// Recording the result must survive the caller's cancellation: a message
	// that went out must not stay pending because shutdown began meanwhile.
	done, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	defer func() { _ = tx.Rollback(done) }()

	var locked bool
	const lock = "SELECT pg_try_advisory_xact_lock(hashtext('pgkeeper'), hashtext($1))"
	if err := tx.QueryRow(ctx, lock, "outbox:"+schema).Scan(&locked); err != nil {
		return m, false, fmt.Errorf("outbox: lock: %w", err)
	}
	if !locked {
		return m, false, ErrOutboxBusy
	}
	rows, err := tx.Query(ctx, fmt.Sprintf(
		"SELECT %s FROM %s WHERE delivered_at IS NULL AND dropped_at IS NULL ORDER BY id LIMIT 1", messageColumns, t))
	if err != nil {
		return m, false, fmt.Errorf("outbox: next: %w", err)
	}
	m, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Message])
	if errors.Is(err, pgx.ErrNoRows) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("outbox: next: %w", err)
	}

	derr := deliver(ctx, m)
	if errors.Is(derr, context.Canceled) && ctx.Err() != nil {
		// Shutdown cut the attempt short: not Telegram's answer, so it is
		// neither counted nor kept as the message's last error.
		return m, true, derr
	}
	m.Attempts++
	var update string
	switch {
	case derr == nil:
		update = "delivered_at = now(), last_error = ''"
	case errors.Is(derr, ErrUndeliverable):
		update, m.LastError = "dropped_at = now(), last_error = $2", derr.Error()
	default:
		update, m.LastError = "last_error = $2", derr.Error()
	}
	args := []any{m.ID}
	if derr != nil {
		args = append(args, derr.Error())
	}
	q := fmt.Sprintf("UPDATE %s SET attempts = attempts + 1, %s WHERE id = $1", t, update)
	if _, err := tx.Exec(done, q, args...); err != nil {
		return m, true, errors.Join(derr, fmt.Errorf("outbox: record attempt on %d: %w", m.ID, err))
	}
	if err := tx.Commit(done); err != nil {
		return m, true, errors.Join(derr, fmt.Errorf("outbox: commit attempt on %d: %w", m.ID, err))
	}
	if derr != nil {
		return m, true, fmt.Errorf("deliver notification %d: %w", m.ID, derr)
	}
	return m, true, nil
}
