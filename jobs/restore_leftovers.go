package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/store"
)

// A recovery's new database carries restoreMark as its comment from its
// creation until it is verified: a killed `pgkeeper restore --into` leaves a
// half-filled database that nothing else tells from a good one, and an
// operator in a hurry could point the service at it.
const (
	restoreMarkPrefix = "pgkeeper: restore in progress since "
	restoreMarkTime   = "2006-01-02 15:04:05 UTC"
	restoreMarkFrom   = " from backup "
	restoreMarkSuffix = ", incomplete until verified"
)

// restoreMark is the comment of a recovery's database until it is verified.
func restoreMark(since time.Time, backup string) string {
	return restoreMarkPrefix + since.UTC().Format(restoreMarkTime) + restoreMarkFrom + backup + restoreMarkSuffix
}

// parseRestoreMark reads back restoreMark's time and backup.
func parseRestoreMark(comment string) (since time.Time, backup string, ok bool) {
	rest, ok := strings.CutPrefix(comment, restoreMarkPrefix)
	if !ok || len(rest) < len(restoreMarkTime) {
		return time.Time{}, "", false
	}
	since, err := time.Parse(restoreMarkTime, rest[:len(restoreMarkTime)])
	if err != nil {
		return time.Time{}, "", false
	}
	backup, _ = strings.CutPrefix(rest[len(restoreMarkTime):], restoreMarkFrom)
	return since, strings.TrimSuffix(backup, restoreMarkSuffix), true
}

// LeftoverDatabase is a database a stopped run left on a server: a restore
// test's scratch database that no running restore test holds, or a
// recovery's new database still carrying the in-progress mark.
type LeftoverDatabase struct {
	Name       string
	Server     string    // host:port
	SizeBytes  int64     // -1 when unknown
	Since      time.Time // when it was made (scratch: its name; recovery: its mark)
	Incomplete bool      // an interrupted recovery; false: a restore test's scratch database
	Backup     string    // the backup an interrupted recovery was restoring
	Sessions   int       // a scratch database's connected sessions: while there are any, no run drops it
}

// Describe says what the database is, how old, and what happens to it or
// what to do, as of now.
func (l LeftoverDatabase) Describe(now time.Time) string {
	size := ""
	if l.SizeBytes >= 0 {
		size = humanize.Bytes(l.SizeBytes) + ", "
	}
	age := humanize.Duration(now.Sub(l.Since))
	drop := store.DropDatabaseSQL(l.Name)
	if l.Incomplete {
		return fmt.Sprintf("database %s on %s (%s%s old) is an interrupted restore, incomplete: %q. "+
			"Never point the service at it; drop it with %s and restore again",
			l.Name, l.Server, size, age, restoreMark(l.Since, l.Backup), drop)
	}
	next := "The next restore test drops it"
	if l.Sessions > 0 {
		next = fmt.Sprintf("it is in use (connected sessions: %d; a restore test of a database of the same name on another server?), "+
			"so no run drops it while it is", l.Sessions)
	}
	return fmt.Sprintf("leftover scratch database %s on %s (%s%s old): a restore test was stopped before it could drop it. "+
		"%s; to free the space now: %s",
		l.Name, l.Server, size, age, next, drop)
}

// Leftovers finds what stopped runs left: this database's scratch databases
// on the restore server that no running restore test holds, and databases
// carrying a recovery's in-progress mark on the restore server and the live
// server. It returns what it could find along with what it could not look at.
func (t *RestoreTest) Leftovers(ctx context.Context) ([]LeftoverDatabase, error) {
	// Asked before the restore server holds one of the pool's connections,
	// so that the pool needs no second one.
	live, liveErr := t.DB.Identity(ctx)
	srv, release, err := t.readServer(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	via, err := srv.Identity(ctx)
	if err != nil {
		return nil, fmt.Errorf("restore server unreachable: %w", err)
	}
	var out []LeftoverDatabase
	var errs []error
	if scratch, err := t.scratchLeftovers(ctx, srv); err != nil {
		errs = append(errs, err)
	} else {
		out = append(out, scratch...)
	}
	marked, err := srv.CommentedDatabases(ctx, restoreMarkPrefix)
	if err != nil {
		errs = append(errs, err)
	}
	out = appendIncomplete(out, marked, srv.Host())
	// The live server too, unless it is the restore server: a recovery may
	// have been pointed there, by RESTORE_DATABASE_URL at the time.
	if liveErr == nil && !live.SameServer(via) {
		marked, err := t.DB.CommentedDatabases(ctx, restoreMarkPrefix)
		if err != nil {
			errs = append(errs, err)
		}
		out = appendIncomplete(out, marked, t.DB.Host())
	}
	return out, errors.Join(errs...)
}

func appendIncomplete(out []LeftoverDatabase, marked []store.CommentedDatabase, host string) []LeftoverDatabase {
	for _, d := range marked {
		since, backup, ok := parseRestoreMark(d.Comment)
		if !ok {
			continue
		}
		out = append(out, LeftoverDatabase{Name: d.Name, Server: host, SizeBytes: d.SizeBytes, Since: since,
			Incomplete: true, Backup: backup})
	}
	return out
}

// scratchLeftovers is this database's scratch databases except the one a
// running restore test holds. Every restore test of this database holds the
// heavy-job lock from before it makes its scratch database until after it
// drops it, and the lock's holder says when it started, which names its
// scratch database: any other one is a leftover, whatever its age.
func (t *RestoreTest) scratchLeftovers(ctx context.Context, srv *store.Server) ([]LeftoverDatabase, error) {
	found, err := srv.ScratchDatabases(ctx, t.DB.Database())
	if err != nil || len(found) == 0 {
		return nil, err
	}
	// Only now the lock's holder (pg_locks and pg_stat_activity are not
	// free, and an overview asks it of every database).
	holder, held, err := t.DB.HeldLock(ctx)
	if err != nil {
		return nil, fmt.Errorf("cannot tell leftover scratch databases from a running restore test's: %w", err)
	}
	inUse := ""
	if held && holder.Job == jobName(RestoreOptions{}) {
		inUse = store.ScratchName(t.DB.Database(), holder.Since)
	}
	var out []LeftoverDatabase
	for _, s := range found {
		if s.Name != inUse {
			out = append(out, LeftoverDatabase{Name: s.Name, Server: srv.Host(), SizeBytes: s.SizeBytes, Since: s.Created,
				Sessions: s.Sessions})
		}
	}
	return out, nil
}

// sweep drops this database's scratch databases that killed restore tests
// left, whatever their age. It runs only under the heavy-job lock, which
// every restore test of this database holds while its scratch database
// exists: none of them belongs to a running test. One with sessions in it is
// left alone: the lock is this server's, and a pgkeeper guarding a database
// of the same name on another server may share the restore server.
func (t *RestoreTest) sweep(ctx context.Context, srv *store.Server) ([]string, error) {
	live := t.DB.Database()
	found, err := srv.ScratchDatabases(ctx, live)
	if err != nil {
		return nil, err
	}
	var swept []string
	var errs []error
	for _, s := range found {
		// Proven once more where it counts: only a name of exactly this
		// database's scratch form is ever dropped.
		if _, ok := store.IsScratchOf(live, s.Name); !ok {
			continue
		}
		if s.Sessions > 0 {
			errs = append(errs, fmt.Errorf("%s left alone: it is in use (connected sessions: %d)", s.Name, s.Sessions))
			continue
		}
		if err := srv.DropDatabase(ctx, s.Name); err != nil {
			errs = append(errs, err)
			continue
		}
		swept = append(swept, s.Name)
	}
	return swept, errors.Join(errs...)
}

// incompleteError is the refusal of a recovery into a database that a
// stopped recovery left marked: what it is, since when, and how to drop it.
func incompleteError(ctx context.Context, srv *store.Server, name string, now time.Time) error {
	comment, err := srv.DatabaseComment(ctx, name)
	if err != nil {
		return nil
	}
	since, backup, ok := parseRestoreMark(comment)
	if !ok {
		return nil
	}
	return fmt.Errorf("%w: %s on %s is what an interrupted restore left, incomplete (%q, %s ago): "+
		"never use it; drop it with %s (psql -d postgres), then run this again",
		ErrTargetExists, name, srv.Host(), restoreMark(since, backup), humanize.Duration(now.Sub(since)), store.DropDatabaseSQL(name))
}
