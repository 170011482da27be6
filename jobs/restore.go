package jobs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// Defaults of the restore test.
const (
	// DefaultMaintenanceDB is where scratch databases are created from when
	// RESTORE_DATABASE_URL is empty.
	DefaultMaintenanceDB = "postgres"
	// dropTimeout bounds the drop of a scratch database, which runs even after
	// the run's context is cancelled.
	dropTimeout = 2 * time.Minute
	// keepProofs is how many restore tests a manifest remembers: a monthly
	// backup tested daily would otherwise grow without bound.
	keepProofs = 20
)

// Restore test errors callers can branch on.
var (
	// ErrLiveDatabase means the restore target would be the live database.
	ErrLiveDatabase = errors.New("restore target is the live database")
	// ErrCorruptBackup means the backup file does not decompress to what its manifest says.
	ErrCorruptBackup = errors.New("backup file is damaged")
	// ErrRestoreMismatch means the restored data differs from the backup's manifest.
	ErrRestoreMismatch = errors.New("restored data differs from the backup")
)

// RestoreConfig is where a restore test reads backups and where it restores them.
type RestoreConfig struct {
	DatabaseURL        string // the live database: never a restore target
	RestoreDatabaseURL string // server for scratch databases, via this database; empty: DatabaseURL's server, database "postgres"
	BackupDir          string
	PGBinDir           string
	Jobs               int          // pg_restore jobs; 0 = auto (streamed, one job: fastest on 2 cores, see restore_stream.go)
	Remotes            []RemoteSpec // where RestoreOptions.From can restore from
}

// RestoreTest proves that a backup restores: into a scratch database that is
// always dropped, checking every table's rows and the critical tables' content.
type RestoreTest struct {
	DB     *store.DB // the live database: the lock, its identity and locale
	Config RestoreConfig
	Now    func() time.Time // timestamps and ages; durations use the monotonic clock
}

// catalog is the live database's backups: when it does not answer (a
// recovery), those of its name from any server.
func (t *RestoreTest) catalog() Catalog { return Catalog{Dir: t.Config.BackupDir, DB: t.DB} }

// RestoreOptions are one run's choices.
type RestoreOptions struct {
	Backup  string        // backup name, with or without suffix; empty: the newest
	Trigger vocab.Trigger // who or what started it
	// Into turns the test into a recovery (`pgkeeper restore`): restore into
	// this new database and keep it once verified. It must not exist yet,
	// and the live database need not answer. Empty: a scratch database,
	// always dropped.
	Into string
	// From restores a copy on this remote (a RemoteSpec's name) rather than
	// a file in BACKUP_DIR: streamed, checked on the way, no local copy.
	From string
	// Identity is an age identity file (0600) for an encrypted copy;
	// empty: the remote's configured one, if any.
	Identity string
}

// RestoreProgress is reported at least once a second, and at each new step.
type RestoreProgress struct {
	Step       string
	Elapsed    time.Duration
	StartedAt  time.Time
	FedBytes   int64 // decompressed bytes given to pg_restore so far
	TotalBytes int64 // the dump's decompressed size
}

// RestoreStep is one step of a run and how long it took.
type RestoreStep struct {
	Name string
	Took time.Duration
}

// RestoreDifference is one way the restored data differs from the backup.
type RestoreDifference struct {
	Table    string // schema.name
	Check    string // "table", "rows" or "fingerprint"
	Expected string
	Found    string
}

func (d RestoreDifference) String() string {
	return fmt.Sprintf("%s %s: expected %s, found %s", d.Table, d.Check, d.Expected, d.Found)
}

// RestoreReport is the outcome of a restore test, pass or fail.
type RestoreReport struct {
	Backup        Manifest // the backup tested, as it was before this test
	Trigger       vocab.Trigger
	StartedAt     time.Time
	Server        string // host:port of the scratch database's server
	Scratch       string // the scratch database's name
	Jobs          int    // pg_restore jobs used; 1 is streamed
	RPO           time.Duration
	RTO           time.Duration // restore plus verification
	RestoredBytes int64         // the scratch database's size before its drop
	Tables        int           // tables whose rows were counted
	Rows          int64         // rows counted
	Fingerprinted int           // tables whose content was compared
	Differences   []RestoreDifference
	Steps         []RestoreStep
	Swept         []string // leftover scratch databases dropped before the run
	Dropped       bool     // no scratch database is left: dropped, or never made
	Kept          bool     // a recovery (RestoreOptions.Into) that passed: the database stays
	Recorded      bool     // the result was written into the backup's manifest
	Warnings      []string
	Error         string
	FailedAt      string // the step that failed
	job           string // "restore test", or "restore into <name>"

	From string // the remote restored from; "" for BACKUP_DIR
	// CiphertextOnly is a restore test of an encrypted remote copy without
	// an identity: the object's size and sha256 were checked, nothing was
	// restored. A pass, of a weaker kind: see ciphertextOnly.
	CiphertextOnly bool
}

// OK reports whether the backup restored and matched its manifest.
func (r RestoreReport) OK() bool { return r.Error == "" }

func (r *RestoreReport) fail(step string, err error) error {
	r.FailedAt, r.Error = step, oneLine(err.Error())
	return fmt.Errorf("%s: %s: %w", r.job, step, err)
}

func (t *RestoreTest) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// Run restores a backup into a fresh scratch database and checks it: lock,
// preflight (pg_restore version, target, space), sweep of leftovers, create,
// restore, verify, drop (always), and record in the backup's manifest. The
// error is non-nil exactly when the report says it failed. progress, which may
// be nil, is called from one goroutine at a time.
func (t *RestoreTest) Run(ctx context.Context, opts RestoreOptions, progress func(RestoreProgress)) (rep RestoreReport, _ error) {
	start := t.now()
	// r points at the named result, so what deferred steps add is returned too.
	r := &rep
	*r = RestoreReport{Trigger: opts.Trigger, StartedAt: start, job: jobName(opts)}
	fail := func(step string, err error) (RestoreReport, error) {
		err = r.fail(step, err)
		return *r, err
	}
	tk := startTicker(start, progress)
	defer tk.close()
	timer := stepTimer{r: r}
	defer timer.end() // the failed step's time, too

	recovering := opts.Into != ""
	tk.set("waiting for the lock", 0)
	lock, err := t.DB.TryLock(ctx, jobName(opts), string(opts.Trigger), start)
	switch {
	case errors.Is(err, ErrAlreadyRunning):
		return fail("lock", err)
	case err != nil && !recovering:
		return fail("connect", fmt.Errorf("database unreachable: %w", err))
	case err != nil:
		// A recovery is for when the live database is gone.
		r.Warnings = append(r.Warnings,
			"the live database does not answer, so no lock kept a backup from running alongside: "+oneLine(err.Error()))
	default:
		defer lock.Unlock(ctx)
	}

	tk.set("checking pg_restore, target and space", 0)
	timer.begin("preflight")
	m, src, err := t.find(ctx, opts)
	if err != nil {
		return fail("find backup", err)
	}
	r.Backup, r.RPO, r.From = m, start.Sub(m.Start), opts.From
	if src != nil && src.locked() {
		if recovering {
			return fail("find backup", fmt.Errorf("%w: %s", ErrNoIdentity, identityHint(opts.From)))
		}
		timer.end()
		return t.ciphertextOnly(ctx, r, src, tk, &timer)
	}
	tg, err := t.preflight(ctx, m, recovering, src != nil)
	if tg.server != nil {
		r.Server = tg.server.Host()
	}
	if err == nil && recovering {
		err = t.checkInto(ctx, tg, opts.Into)
	}
	if err == nil && src != nil {
		err = src.checkKey(ctx)
	}
	if err != nil {
		return fail("preflight", err)
	}
	r.Jobs = tg.jobs
	timer.end()

	if recovering {
		r.Scratch = opts.Into
	} else {
		tk.set("sweeping leftover scratch databases", 0)
		swept, serr := t.sweep(ctx, tg.server)
		r.Swept = swept
		if serr != nil {
			r.Warnings = append(r.Warnings, "sweep: "+oneLine(serr.Error()))
		}
		r.Scratch = store.ScratchName(t.DB.Database(), start)
	}
	if err := t.restoreAndVerify(ctx, r, tg, m, src, tk, &timer, recovering); err != nil {
		return *r, err
	}
	t.record(r, m)
	return *r, nil
}

// restoreAndVerify creates the scratch database, restores into it, checks
// it, and drops it whatever happened: success, failure or cancel. A recovery
// (keep) keeps it when it passed, and drops only what it created itself.
func (t *RestoreTest) restoreAndVerify(ctx context.Context, r *RestoreReport, tg target, m Manifest, from *fromRemote,
	tk *ticker, timer *stepTimer, keep bool) (err error) {
	created := false
	// The drop is set up before the create: a create cancelled midway may
	// still have made the database, and DROP IF EXISTS costs nothing.
	defer func() {
		timer.end()
		switch {
		case keep && err == nil:
			r.Kept = true
		case keep && !created:
			// Whatever has that name now was not made by this run.
			if ctx.Err() != nil {
				r.Warnings = append(r.Warnings, "cancelled while creating "+r.Scratch+
					": if it exists now, it is empty; drop it before trying again")
			}
		default:
			t.dropScratch(ctx, r, tg, timer, tk, keep)
		}
		// A verdict about the backup is recorded, not a cancel, a broken
		// target or a download cut short.
		if err != nil && ctx.Err() == nil && (r.FailedAt == "restore" || r.FailedAt == "verify") &&
			!errors.Is(err, ErrRemoteRead) {
			t.record(r, m)
		}
	}()
	tk.set("creating "+r.Scratch, 0)
	timer.begin("create")
	mark := "" // a restore test's scratch database is dropped, whatever happens
	if keep {
		mark = restoreMark(r.StartedAt, m.Name)
	}
	if note, err := t.createScratch(ctx, tg, r.Scratch, mark); err != nil {
		return r.fail("create", err)
	} else if note != "" {
		r.Warnings = append(r.Warnings, note)
	}
	created = true
	timer.end()

	scratch, err := tg.server.OpenDatabase(ctx, r.Scratch)
	if err != nil {
		return r.fail("create", err)
	}
	defer scratch.Close()
	if err := t.checkScratch(ctx, scratch, tg, r.Scratch); err != nil {
		return r.fail("create", err)
	}

	timer.begin("restore")
	var src dumpSource // nil: the file in BACKUP_DIR
	if from != nil {
		src = from.source()
	}
	if err := t.restore(ctx, tg, m, src, r.Scratch, tk); err != nil {
		return r.fail("restore", err)
	}
	timer.end()

	tk.set("verifying", 0)
	timer.begin("verify")
	if err := verifyRestore(ctx, scratch, m, r); err != nil {
		return r.fail("verify", err)
	}
	timer.end()
	r.RTO = timer.took("restore") + timer.took("verify")
	if r.RestoredBytes, err = scratch.DatabaseSize(ctx); err != nil {
		r.Warnings = append(r.Warnings, oneLine(err.Error()))
	}
	if keep {
		// Verified: only now is the mark cleared.
		if err := tg.server.CommentDatabase(ctx, r.Scratch, ""); err != nil {
			r.Warnings = append(r.Warnings, oneLine(err.Error())+": "+r.Scratch+
				" is verified but still says it is incomplete; clear that with "+store.ClearCommentSQL(r.Scratch))
		}
	}
	return nil
}

// dropScratch drops the scratch database (or a failed recovery's new one).
func (t *RestoreTest) dropScratch(ctx context.Context, r *RestoreReport, tg target, timer *stepTimer, tk *ticker,
	recovering bool) {
	tk.set("dropping "+r.Scratch, 0)
	timer.begin("drop")
	defer timer.end()
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dropTimeout)
	defer cancel()
	derr := tg.server.DropDatabase(dctx, r.Scratch)
	switch {
	case derr == nil:
		r.Dropped = true
	case recovering:
		r.Warnings = append(r.Warnings, oneLine(derr.Error())+": drop "+r.Scratch+
			" yourself ("+store.DropDatabaseSQL(r.Scratch)+"), it holds a failed restore")
	default:
		r.Warnings = append(r.Warnings, oneLine(derr.Error())+": the next restore test drops it")
	}
}

// record appends this test's outcome to the backup's manifest, re-read from
// disk and written atomically, so /backups shows which backups were proven.
// A test of a remote copy is recorded in the local manifest when the same
// backup is still here, and nowhere when it is not: the remote's manifest
// is its upload's record, not ours to rewrite.
func (t *RestoreTest) record(r *RestoreReport, m Manifest) {
	path := filepath.Join(t.Config.BackupDir, m.Name+manifestSuffix)
	cur, err := readManifest(path)
	if r.From != "" && (errors.Is(err, fs.ErrNotExist) || (err == nil && cur.SHA256 != m.SHA256)) {
		return
	}
	if err != nil {
		r.Warnings = append(r.Warnings, "record in manifest: "+oneLine(err.Error()))
		return
	}
	proof := RestoreProof{At: r.StartedAt, OK: r.OK(), RTO: r.RTO, Detail: r.Error, From: r.From}
	if proof.OK {
		proof.Detail = fmt.Sprintf("%d tables, %s rows, %s restored into %s", r.Tables, humanize.Int(r.Rows),
			humanize.Bytes(r.RestoredBytes), r.Server)
	}
	cur.RestoreTests = append(cur.RestoreTests, proof)
	if n := len(cur.RestoreTests); n > keepProofs {
		cur.RestoreTests = cur.RestoreTests[n-keepProofs:]
	}
	if err := SaveManifest(t.Config.BackupDir, cur); err != nil {
		r.Warnings = append(r.Warnings, "record in manifest: "+oneLine(err.Error()))
		return
	}
	r.Recorded = true
}

// stepTimer measures steps on the monotonic clock into the report.
type stepTimer struct {
	r     *RestoreReport
	name  string
	begun time.Time
}

func (s *stepTimer) begin(name string) { s.name, s.begun = name, time.Now() }

func (s *stepTimer) end() {
	if s.name != "" {
		s.r.Steps = append(s.r.Steps, RestoreStep{Name: s.name, Took: time.Since(s.begun)})
		s.name = ""
	}
}

func (s *stepTimer) took(name string) time.Duration {
	for _, st := range s.r.Steps {
		if st.Name == name {
			return st.Took
		}
	}
	return 0
}
