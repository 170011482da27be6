package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// serverSlotClass is the first key of the server-wide slot locks
// (pg_try_advisory_lock(serverSlotClass, i), the two-int4 form): "pksl".
// It cannot meet the heavy-job lock, which is the one-bigint form (another
// objsubid in pg_locks) even when a guarded database is "postgres", nor
// the migrate and outbox locks, whose first key is hashtext('pgkeeper').
const serverSlotClass int32 = 0x706b736c

// slotQueue is the second key of the lock that waiters queue on; slots
// are 0 to BACKUP_PARALLEL-1.
const slotQueue int32 = -1

// maintenanceDB is where every process takes the server-wide slots:
// advisory locks are per database, so all must take them in the same one.
const maintenanceDB = "postgres"

// ServerSlotPoll is how often the first waiter for a server-wide slot
// tries again (the others wait their turn in the queue): a slot given back
// by another process stays idle at most this long.
var ServerSlotPoll = 200 * time.Millisecond

// ErrServerSlotUnreachable means the server's maintenance database could
// not be reached to take a server-wide slot: the caller may fall back to a
// limit of its own.
var ErrServerSlotUnreachable = errors.New("cannot reach the maintenance database " + maintenanceDB)

// ServerSlot waits for one of the n server-wide heavy-job slots of db's
// server (BACKUP_PARALLEL across every pgkeeper process), or for ctx to
// end. The slot is an advisory lock on a connection of its own to the
// server's database "postgres", held until release (unlock and close, at
// most once, harmless when the connection is gone): a killed process's
// slot goes with its connection. An unreachable "postgres" is
// ErrServerSlotUnreachable.
func (db *DB) ServerSlot(ctx context.Context, n int) (release func(), err error) {
	cc := db.cfg.ConnConfig.Copy()
	cc.Database = maintenanceDB
	return (&Server{cfg: cc}).slot(ctx, n)
}

// ServerSlot is DB.ServerSlot for the server dsn names (its database
// replaced by "postgres"); it connects only when called.
func ServerSlot(ctx context.Context, dsn string, n int) (release func(), err error) {
	s, err := OpenServer(dsn, maintenanceDB)
	if err != nil {
		return nil, err
	}
	return s.slot(ctx, n)
}

func (s *Server) slot(ctx context.Context, n int) (func(), error) {
	cfg := s.cfg.Copy()
	// Seen in pg_stat_activity by whoever wonders what holds the locks.
	cfg.RuntimeParams["application_name"] = "pgkeeper server slot"
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("server slot on %s: %w: %w", s.Host(), ErrServerSlotUnreachable, err)
	}
	i, err := waitSlot(ctx, c, int32(max(n, 1)))
	if err != nil {
		c.Close(context.WithoutCancel(ctx))
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("server slot on %s: %w", s.Host(), err)
	}
	return slotRelease(c, i), nil
}

// waitSlot queues for the slots, then tries each until one is free. The
// queue (a lock waited on, which PostgreSQL grants first come, first
// served) is fairness: without it a process ending a job would take the
// slot again at once, before the others' next try, and do all the work.
func waitSlot(ctx context.Context, c *pgx.Conn, n int32) (int32, error) {
	if _, err := c.Exec(ctx, "SELECT pg_advisory_lock($1::int4, $2::int4)", serverSlotClass, slotQueue); err != nil {
		return 0, err
	}
	t := time.NewTicker(ServerSlotPoll)
	defer t.Stop()
	for {
		for i := range n {
			var ok bool
			if err := c.QueryRow(ctx, "SELECT pg_try_advisory_lock($1::int4, $2::int4)", serverSlotClass, i).Scan(&ok); err != nil {
				return 0, err
			}
			if ok {
				_, err := c.Exec(ctx, "SELECT pg_advisory_unlock($1::int4, $2::int4)", serverSlotClass, slotQueue)
				return i, err
			}
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// slotRelease unlocks slot i and closes c, once; closing alone would free
// it too, so an error (the connection already gone) changes nothing.
func slotRelease(c *pgx.Conn, i int32) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, _ = c.Exec(ctx, "SELECT pg_advisory_unlock($1::int4, $2::int4)", serverSlotClass, i)
			_ = c.Close(ctx)
		})
	}
}
