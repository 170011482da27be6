package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// heavyLockKey is the advisory lock shared by backups, restore tests and
// cleanups, in every process that guards this database: they must not run at
// once, whoever started them (chat, shell, schedule, a second instance).
const heavyLockKey int64 = 0x70676b6565706572 // "pgkeeper"

// holderPrefix marks the connection that holds the lock, so another process
// can say who holds it and since when.
const holderPrefix = "pgkeeper-lock "

// ErrLocked means another run holds the heavy-job lock.
var ErrLocked = errors.New("another heavy job is running")

// LockHolder describes the run that holds the lock.
type LockHolder struct {
	Job, By string
	Since   time.Time
}

// LockedError is ErrLocked with what is known of the holder.
type LockedError struct{ Holder LockHolder }

func (e *LockedError) Error() string {
	h := e.Holder
	if h.Job == "" {
		return ErrLocked.Error()
	}
	return fmt.Sprintf("%s already running since %s, started by %s", h.Job, h.Since.UTC().Format("15:04:05 UTC"), h.By)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Lock is a held heavy-job lock; Unlock releases it. Losing the connection
// releases it too, so a crashed process never leaves it held.
type Lock struct {
	conn *pgxpool.Conn
}

// TryLock takes the heavy-job lock for job started by by, or returns a
// *LockedError naming the current holder.
func (db *DB) TryLock(ctx context.Context, job, by string, now time.Time) (*Lock, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock: connect: %w", err)
	}
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", heavyLockKey).Scan(&ok); err != nil {
		conn.Release()
		return nil, fmt.Errorf("lock: %w", err)
	}
	if !ok {
		conn.Release()
		return nil, &LockedError{Holder: db.lockHolder(ctx)}
	}
	// application_name is visible in pg_stat_activity to every process: the
	// holder's description travels with the lock itself.
	// Time and job first: PostgreSQL cuts application_name at 63 bytes, and
	// only the free-form "by" may lose its end.
	desc := holderPrefix + strconv.FormatInt(now.Unix(), 10) + "|" + job + "|" + strings.ReplaceAll(by, "|", "/")
	if len(desc) > 63 {
		desc = desc[:63]
	}
	if _, err := conn.Exec(ctx, "SELECT set_config('application_name', $1, false)", desc); err != nil {
		_ = unlock(ctx, conn)
		return nil, fmt.Errorf("lock: name holder: %w", err)
	}
	return &Lock{conn: conn}, nil
}

// HeldLock reports whether a session holds the heavy-job lock now and, when
// it is a pgkeeper run, which one (Job is "" for a holder pgkeeper cannot
// name). A holder's scratch database is in use; any other is a leftover.
func (db *DB) HeldLock(ctx context.Context) (LockHolder, bool, error) {
	var app string
	err := db.pool.QueryRow(ctx, lockHolderSQL, heavyLockKey).Scan(&app)
	if errors.Is(err, pgx.ErrNoRows) {
		return LockHolder{}, false, nil
	}
	if err != nil {
		return LockHolder{}, false, fmt.Errorf("lock holder: %w", err)
	}
	return parseHolder(app), true, nil
}

// lockHolderSQL finds the lock's holder in this database: advisory locks are
// per database, and other databases of the server have their own.
const lockHolderSQL = `
		SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		  AND l.classid = ($1::bigint >> 32)::oid AND l.objid = ($1::bigint & 4294967295)::oid AND l.objsubid = 1
		LIMIT 1`

func (db *DB) lockHolder(ctx context.Context) LockHolder {
	h, _, _ := db.HeldLock(ctx)
	return h
}

func parseHolder(app string) LockHolder {
	if !strings.HasPrefix(app, holderPrefix) {
		return LockHolder{}
	}
	parts := strings.SplitN(strings.TrimPrefix(app, holderPrefix), "|", 3)
	if len(parts) != 3 {
		return LockHolder{}
	}
	unix, _ := strconv.ParseInt(parts[0], 10, 64)
	return LockHolder{Job: parts[1], By: parts[2], Since: time.Unix(unix, 0)}
}

// Unlock releases the lock and returns its connection to the pool.
func (l *Lock) Unlock(ctx context.Context) error {
	if l == nil || l.conn == nil {
		return nil
	}
	err := unlock(ctx, l.conn)
	l.conn = nil
	return err
}

func unlock(ctx context.Context, conn *pgxpool.Conn) error {
	// Unlock even when the job's own context was cancelled.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1), set_config('application_name', 'pgkeeper', false)", heavyLockKey)
	if err != nil {
		// A connection in an unknown state must not go back to the pool still
		// holding the lock: closing it releases the lock server-side.
		_ = conn.Conn().Close(ctx)
	}
	conn.Release()
	if err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	return nil
}
