package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/internal/pgversion"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// target is where a restore test restores, checked before anything is made.
type target struct {
	server *store.Server
	dsn    string // the URL pg_restore's environment comes from
	tool   Tool   // pg_restore
	jobs   int
	live   store.Identity
	locale store.Locale
	free   int64 // free bytes in the server's data directory; -1 unknown
	need   int64 // about what the scratch database takes
}

// RestorePreview is what a restore test would do, shown before it runs.
type RestorePreview struct {
	Backup     Manifest
	Age        time.Duration // the backup's age now: the RPO if the test ran now
	Server     string        // host:port where the scratch database would be made
	Via        string        // the database connected to for CREATE and DROP DATABASE
	Scratch    string        // the scratch database's name if the test started now
	NeedBytes  int64         // about what the scratch database takes on the server
	ServerFree int64         // free space of the server's data directory; -1 when it cannot be known
	Leftovers  []string      // leftover scratch databases a run would drop first
	PgRestore  string        // the pg_restore version that would be used
	Jobs       int
	From       string // the remote the copy would stream from; "" for BACKUP_DIR
	// CiphertextOnly: an encrypted copy without an identity, which a
	// restore test would only read and check, not restore.
	CiphertextOnly bool
}

// Preview checks everything a run checks before it makes anything, and says
// which backup, where, and under what name. The error is non-nil when a run
// would refuse; the preview is filled as far as it got.
func (t *RestoreTest) Preview(ctx context.Context, backupName string) (RestorePreview, error) {
	return t.preview(ctx, RestoreOptions{Backup: backupName})
}

// PreviewInto is Preview for a recovery into the new database into: the
// same checks as its run, and nothing made.
func (t *RestoreTest) PreviewInto(ctx context.Context, backupName, into string) (RestorePreview, error) {
	return t.preview(ctx, RestoreOptions{Backup: backupName, Into: into})
}

// PreviewRun is Preview for any run's options (Backup, Into, From and
// Identity): the same checks as the run, and nothing made.
func (t *RestoreTest) PreviewRun(ctx context.Context, opts RestoreOptions) (RestorePreview, error) {
	return t.preview(ctx, opts)
}

func (t *RestoreTest) preview(ctx context.Context, opts RestoreOptions) (RestorePreview, error) {
	now := t.now()
	p := RestorePreview{ServerFree: -1, Scratch: store.ScratchName(t.DB.Database(), now)}
	if opts.Into != "" {
		p.Scratch = opts.Into
	}
	m, src, err := t.find(ctx, opts)
	if err != nil {
		return p, fmt.Errorf("%s: %w", jobName(opts), err)
	}
	p.Backup, p.Age, p.NeedBytes, p.From = m, now.Sub(m.Start), m.DatabaseBytes, opts.From
	if src != nil && src.locked() {
		p.CiphertextOnly = true
		if opts.Into != "" {
			return p, fmt.Errorf("%s: %w: %s", jobName(opts), ErrNoIdentity, identityHint(opts.From))
		}
		return p, nil
	}
	tg, err := t.preflight(ctx, m, opts.Into != "", src != nil)
	if tg.server != nil {
		p.Server, p.Via = tg.server.Host(), tg.server.Database()
	}
	p.PgRestore, p.Jobs, p.ServerFree = tg.tool.Version.String(), tg.jobs, tg.free
	if err == nil && opts.Into != "" {
		err = t.checkInto(ctx, tg, opts.Into)
	}
	if err == nil && src != nil {
		err = src.checkKey(ctx)
	}
	if err != nil {
		return p, fmt.Errorf("%s: %w", jobName(opts), err)
	}
	if opts.Into != "" {
		return p, nil
	}
	if old, err := t.scratchLeftovers(ctx, tg.server); err == nil {
		for _, s := range old {
			p.Leftovers = append(p.Leftovers, s.Name)
		}
	}
	return p, nil
}

// Sweep drops leftover scratch databases under the heavy-job lock, as a
// restore test does first; ErrAlreadyRunning when a job holds it.
func (t *RestoreTest) Sweep(ctx context.Context, trigger vocab.Trigger) ([]string, error) {
	lock, err := t.DB.TryLock(ctx, "restore sweep", string(trigger), t.now())
	if err != nil {
		return nil, fmt.Errorf("restore sweep: %w", err)
	}
	defer lock.Unlock(ctx)
	srv, _, err := t.server()
	if err != nil {
		return nil, fmt.Errorf("restore sweep: %w", err)
	}
	return t.sweep(ctx, srv)
}

// server is the Server scratch databases are made on and the URL it comes from.
func (t *RestoreTest) server() (*store.Server, string, error) {
	dsn, db := t.Config.RestoreDatabaseURL, ""
	if dsn == "" {
		dsn, db = t.Config.DatabaseURL, DefaultMaintenanceDB
		if t.DB.Database() == DefaultMaintenanceDB {
			// The live data lives in "postgres": go through template1 instead,
			// so the maintenance connection is never the live database.
			db = "template1"
		}
	}
	srv, err := store.OpenServer(dsn, db)
	if err != nil {
		return nil, "", fmt.Errorf("RESTORE_DATABASE_URL: %w", err)
	}
	return srv, dsn, nil
}

// readServer is the restore server on one connection, for a few reads: one
// of the live database's pooled connections when it is the live server
// (pg_database and its comments are shared catalogs), else its own.
func (t *RestoreTest) readServer(ctx context.Context) (*store.Server, func(), error) {
	var srv *store.Server
	var release func()
	var err error
	if t.Config.RestoreDatabaseURL == "" {
		srv, release, err = t.DB.Server(ctx)
	} else if srv, _, err = t.server(); err == nil {
		srv, release, err = srv.Hold(ctx)
	} else {
		return nil, nil, err
	}
	if err != nil {
		return nil, nil, fmt.Errorf("restore server unreachable: %w", err)
	}
	return srv, release, nil
}

// preflight refuses, before anything is made: a pg_restore older than the
// backup's server, a target that is the live database however its URL is
// spelled, a server older than the backup's, and a server without room. A
// recovery goes on when the live database does not answer: that is what it
// is for (its new database must not exist, which checkInto sees to). A
// remote copy is streamed (one job): pg_restore -j needs a file.
func (t *RestoreTest) preflight(ctx context.Context, m Manifest, recovering, streamed bool) (target, error) {
	tg := target{jobs: max(t.Config.Jobs, 1), free: -1, need: m.DatabaseBytes}
	if streamed {
		tg.jobs = 1
	}
	var err error
	if tg.server, tg.dsn, err = t.server(); err != nil {
		return tg, err
	}
	if _, err := store.ClientEnv(tg.dsn, ""); err != nil {
		return tg, err
	}
	backupVer := pgversion.FromNum(m.ServerVersionNum)
	if m.ServerVersionNum == 0 {
		backupVer, _ = pgversion.Parse(m.ServerVersion)
	}
	dumpVer, _ := pgversion.Parse(m.PgDumpVersion)
	// The manifest may come from a bucket: its host is folded onto one line.
	need := Need{Version: backupVer, Server: oneLine(m.Database + " on " + m.Host)}
	if tg.tool, err = pickRestore(ctx, NewToolbox(t.Config.PGBinDir), need, dumpVer); err != nil {
		return tg, err
	}
	if tg.live, err = t.DB.Identity(ctx); err != nil && !recovering {
		return tg, fmt.Errorf("database unreachable: %w", err)
	}
	via, err := tg.server.Identity(ctx)
	if err != nil {
		return tg, fmt.Errorf("restore server unreachable: %w", err)
	}
	if err := refuseLive(via, tg.live, tg.server); err != nil {
		return tg, err
	}
	num, err := tg.server.ServerVersion(ctx)
	if err != nil {
		return tg, fmt.Errorf("restore server: %w", err)
	}
	if sv := pgversion.FromNum(num); !sv.CanHandle(backupVer) {
		return tg, fmt.Errorf("restore server %s runs PostgreSQL %s, older than the backup's %s: "+
			"set RESTORE_DATABASE_URL to a server of version %s or later",
			tg.server.Host(), sv, backupVer, backupVer.MajorString())
	}
	tg.free = serverFree(ctx, tg.server)
	// A scratch copy must not fill the disk of a server that also carries
	// production: 20% margin over the database's size when it was backed up.
	if want := tg.need + tg.need/5; tg.free >= 0 && tg.free < want {
		return tg, fmt.Errorf("%w: the restore server has %s free, the scratch database needs about %s: "+
			"free space or set RESTORE_DATABASE_URL to another server",
			ErrDiskFull, humanize.Bytes(tg.free), humanize.Bytes(want))
	}
	if tg.jobs > 1 {
		if free, err := FreeBytes(t.Config.BackupDir); err == nil && free < m.RawBytes {
			return tg, fmt.Errorf("%w: BACKUP_DIR has %s free, a parallel restore decompresses %s there first",
				ErrDiskFull, humanize.Bytes(free), humanize.Bytes(m.RawBytes))
		}
	}
	// Matching the live database's encoding is best effort: createScratch
	// falls back to the server's default.
	if tg.live != (store.Identity{}) {
		tg.locale, _ = t.DB.Locale(ctx)
	}
	return tg, nil
}

// ErrTargetExists means a recovery's new database already exists.
var ErrTargetExists = errors.New("the database to restore into already exists")

// checkInto refuses a recovery's target name before anything is made: one
// that exists (pgkeeper restores only into a new database, never over one,
// the live one included) or that a restore test's sweep would take for its
// own leftover and drop.
func (t *RestoreTest) checkInto(ctx context.Context, tg target, name string) error {
	if name == "" || len(name) > maxDatabaseName || strings.ContainsRune(name, 0) || !utf8.ValidString(name) {
		return fmt.Errorf("%q cannot be a database name: use at most %d bytes of text", name, maxDatabaseName)
	}
	if prefix := store.ScratchPrefix(t.DB.Database()); strings.HasPrefix(name, prefix) {
		return fmt.Errorf("%s looks like a restore test's scratch database (%s…), which restore tests drop: pick another name",
			name, prefix)
	}
	exists, err := tg.server.DatabaseExists(ctx, name)
	if err != nil {
		return fmt.Errorf("restore server unreachable: %w", err)
	}
	if exists {
		if err := incompleteError(ctx, tg.server, name, t.now()); err != nil {
			return err
		}
		return fmt.Errorf("%w: %s on %s; pgkeeper restores only into a new database, never over one: pick a new name",
			ErrTargetExists, name, tg.server.Host())
	}
	return nil
}

// maxDatabaseName is PostgreSQL's limit; a longer name would be truncated.
const maxDatabaseName = 63

// jobName names the run in locks, errors and reports.
func jobName(opts RestoreOptions) string {
	if opts.Into != "" {
		return "restore into " + opts.Into
	}
	return "restore test"
}

// refuseLive is the error when the restore server's connection (via) reaches
// the live database itself.
func refuseLive(via, live store.Identity, srv *store.Server) error {
	if !via.SameDatabase(live) {
		return nil
	}
	return fmt.Errorf("%w: RESTORE_DATABASE_URL reaches %s on %s, the database pgkeeper guards: "+
		"point it at the server's maintenance database (postgres)",
		ErrLiveDatabase, via.Database, srv.Host())
}

// serverFree measures the server's data directory when it is on this machine
// and the role may read where it is; -1 otherwise.
func serverFree(ctx context.Context, srv *store.Server) int64 {
	if !onThisMachine(srv.Host()) {
		return -1
	}
	dir := srv.DataDirectory(ctx)
	if dir == "" {
		return -1
	}
	free, err := FreeBytes(dir)
	if err != nil {
		return -1
	}
	return free
}

// createScratch makes the scratch database like the live one (encoding and
// collation), or with the server's defaults when those are not available
// there, which it then says. A non-empty mark is its comment from the start.
func (t *RestoreTest) createScratch(ctx context.Context, tg target, name, mark string) (string, error) {
	create := func(loc store.Locale) error {
		if mark == "" {
			return tg.server.CreateDatabase(ctx, name, loc)
		}
		return tg.server.CreateDatabaseWithComment(ctx, name, loc, mark)
	}
	err := create(tg.locale)
	if err == nil || tg.locale == (store.Locale{}) || ctx.Err() != nil {
		return "", err
	}
	if err2 := create(store.Locale{}); err2 != nil {
		return "", err2
	}
	return "scratch database made with the server's default encoding and locale: " + oneLine(err.Error()), nil
}

// checkScratch proves, before pg_restore writes a byte, that the scratch name
// reaches a new, empty database that is not the live one (a pooler mapping
// database names could otherwise send the restore anywhere).
func (t *RestoreTest) checkScratch(ctx context.Context, scratch *store.DB, tg target, name string) error {
	id, err := scratch.Identity(ctx)
	if err != nil {
		return err
	}
	if id.SameDatabase(tg.live) {
		return fmt.Errorf("%w: %s on %s", ErrLiveDatabase, name, tg.server.Host())
	}
	if id.Database != name {
		return fmt.Errorf("connecting to %s reached database %s instead: refusing to restore there", name, id.Database)
	}
	tables, err := scratch.Tables(ctx)
	if err != nil {
		return err
	}
	if len(tables) > 0 {
		return fmt.Errorf("scratch database %s is not empty (%d tables): refusing to restore there", name, len(tables))
	}
	return nil
}

// CheckTarget checks, without making anything, that restore tests can run:
// the restore server answers, is not the live database, and lets the role
// create databases.
func (t *RestoreTest) CheckTarget(ctx context.Context) (string, error) {
	srv, _, err := t.server()
	if err != nil {
		return "", err
	}
	via, err := srv.Identity(ctx)
	if err != nil {
		return "", fmt.Errorf("restore server unreachable: %w", err)
	}
	if live, err := t.DB.Identity(ctx); err == nil {
		if err := refuseLive(via, live, srv); err != nil {
			return "", err
		}
	}
	role, ok, err := srv.MayCreateDatabases(ctx)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("role %s may not create databases on %s, so restore tests cannot make their scratch database: "+
			"ALTER ROLE %s CREATEDB, or set RESTORE_DATABASE_URL to a role that may",
			role, srv.Host(), role)
	}
	return fmt.Sprintf("scratch databases on %s through %s, as role %s (may create databases)",
		srv.Host(), srv.Database(), role), nil
}
