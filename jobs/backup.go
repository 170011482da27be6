package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/internal/pgversion"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// Defaults of the backup job.
const (
	keepFailed = 3
	// defaultRatio guesses compressed size / database size before the first
	// backup gives a real one.
	defaultRatio = 0.6
)

// ErrAlreadyRunning means a backup, restore test or cleanup is already running.
var ErrAlreadyRunning = store.ErrLocked

// BackupConfig is where and how backups are made and kept.
type BackupConfig struct {
	DatabaseURL       string
	Dir               string
	PGBinDir          string
	Retention         Retention
	DropWarn          float64
	Location          *time.Location // for the calendar month of a monthly backup
	FingerprintTables []vocab.Ident
	// CopyCommand, when set, is run through /bin/sh after each verified
	// backup to copy it off this machine (BACKUP_COPY_COMMAND).
	CopyCommand string
	// CopyHide names environment variables the copy command must not see
	// (those carrying pgkeeper's secrets).
	CopyHide []string
	// Remotes receive a copy of each verified backup (BACKUP_REMOTES).
	Remotes []RemoteSpec
	// Recipients are the age public keys remote copies are encrypted to
	// (BACKUP_AGE_RECIPIENTS); none: copies leave as they are here.
	Recipients []string
	// Roles, when set, shares each server's roles file among the backups of
	// its databases (`backup --all`, serve); nil: each backup dumps its own.
	Roles *Roles
}

// Backup makes verified, checksummed, compressed pg_dump backups.
type Backup struct {
	DB     *store.DB
	Config BackupConfig
	Now    func() time.Time
}

// BackupOptions are one run's choices.
type BackupOptions struct {
	DryRun  bool
	Trigger vocab.Trigger // who or what started it
}

// BackupProgress is reported about once a second while the dump streams.
type BackupProgress struct {
	Step       string
	RawBytes   int64
	Written    int64
	Elapsed    time.Duration
	StartedAt  time.Time
	Compressed bool
	Remote     string // the remote being copied to, while uploading
	Sent       int64  // bytes sent to it so far
	Size       int64  // bytes to send in all
}

// BackupReport is the outcome of a backup run, success or not.
type BackupReport struct {
	DryRun    bool
	Manifest  Manifest
	Path      string
	Checks    []VerifyCheck
	Retention []Verdict
	Deleted   []string
	Kept      Tally // what each retention tier keeps
	Policy    Retention
	Warnings  []Finding
	Swept     []string // leftovers of interrupted runs removed at start
	KeptAs    string   // where a failed dump was kept for a look
	Database  string   // the database backed up, known before the backup has a name
	Estimate  int64    // dry run: expected compressed size
	FreeBytes int64
	Copy      *CopyOutcome    // BACKUP_COPY_COMMAND's outcome; nil when none is set
	Remotes   []RemoteOutcome // one per configured remote, in configuration order
	Error     string
	FailedAt  string // which step or check failed
	DiskFull  bool   // the failure was BACKUP_DIR's space: too little to start, or filled up
	ToolSaid  string // what the failing client tool said on stderr; "" when it gave no reason
}

// OK reports whether the backup was made and verified.
func (r BackupReport) OK() bool { return r.Error == "" }

func (b *Backup) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// fail records a failure in the report and returns it as the run's error.
func (r *BackupReport) fail(step string, err error) error {
	r.FailedAt, r.Error = step, oneLine(err.Error())
	r.DiskFull, r.ToolSaid = errors.Is(err, ErrDiskFull), toolSaid(err)
	return fmt.Errorf("backup: %s: %w", step, err)
}

// Run makes one backup: lock, preflight, snapshot, dump, verify, record,
// copy to the remotes (the dump streams there while it is written; see
// offsite), then retention. A failed run lists no backup, deletes nothing
// old, leaves nothing on a remote, and says which step failed. A remote that
// fails does not fail the run: its outcome is in Remotes. progress may be nil.
func (b *Backup) Run(ctx context.Context, opts BackupOptions, progress func(BackupProgress)) (BackupReport, error) {
	start := b.now()
	r := BackupReport{DryRun: opts.DryRun, Policy: b.policy(), Database: b.DB.Database()}
	if progress == nil {
		progress = func(BackupProgress) {}
	}
	step := func(s string) { progress(BackupProgress{Step: s, StartedAt: start, Elapsed: b.now().Sub(start)}) }

	lock, err := b.DB.TryLock(ctx, vocab.JobBackup, string(opts.Trigger), start)
	if errors.Is(err, ErrAlreadyRunning) {
		return r, r.fail("lock", err)
	}
	if err != nil {
		return r, r.fail("connect", fmt.Errorf("database unreachable: %w", err))
	}
	defer lock.Unlock(ctx)

	step("checking pg_dump and space")
	pre, err := b.preflight(ctx)
	if err != nil {
		return r, r.fail("preflight", err)
	}
	r.FreeBytes, r.Estimate = pre.free, pre.estimate
	// Only this database's backups from this server: another's, in a shared
	// BACKUP_DIR, are never compared with, counted or deleted.
	existing := pre.listing.Backups
	m := Manifest{
		Format: manifestFormat, Name: freeName(b.Config.Dir, b.DB.Database(), start), Database: b.DB.Database(), Host: b.DB.Host(),
		SystemID:      pre.origin.SystemID,
		ServerVersion: pre.server.String(), ServerVersionNum: pre.serverNum, PgDumpVersion: pre.dump.Version.String(),
		Start: start, Compression: compressionName, Kind: KindFor(existing, start, r.Policy.Location), Trigger: opts.Trigger,
	}
	r.Manifest = m
	r.Path = filepath.Join(b.Config.Dir, m.DumpFile())
	if opts.DryRun {
		r.Retention = r.Policy.Apply(append([]Manifest{m}, existing...))
		r.tally()
		return r, nil
	}
	r.Swept = sweepLeftovers(b.Config.Dir, m.Database)

	// The temporary dump stays open, and so locked against other runs'
	// sweeps, until it is renamed into place or moved to failed/.
	tmp, err := createTemp(r.Path + tmpSuffix)
	if err != nil {
		return r, r.fail("pg_dump", writeError(err))
	}
	defer tmp.Close()
	off := b.startOffsite(ctx, r.Path+tmpSuffix, m, existing, pre.origin, progress, start)
	defer off.abandon()
	m, stats, err := b.dumpAndCount(ctx, tmp, m, pre, progress, start)
	if err != nil {
		r.Manifest = m
		b.keepForALook(&r, m, nil)
		return r, r.fail("pg_dump", err)
	}

	step("verifying")
	m.Checks = verifyDump(ctx, r.Path+tmpSuffix, stats, m.Tables, pre.restore)
	r.Checks = m.Checks
	if bad, failed := failedCheck(m.Checks); failed {
		r.Manifest = m
		b.keepForALook(&r, m, m.Checks)
		return r, r.fail("verify", fmt.Errorf("%w: %s: %s", ErrVerify, bad.Name, bad.Detail))
	}

	step("saving")
	roles := b.saveRoles(ctx, m, pre)
	m.Globals, m.GlobalsNote, m.GlobalsSHA256, m.GlobalsFrom = roles.file, roles.note, roles.sha256, roles.from
	m.End = b.now()
	m.Duration = m.End.Sub(start)
	m.Verified = true
	// Record success last: the dump is renamed into place, then the manifest
	// that makes it a backup is written. A crash in between leaves a dump
	// without a manifest, listed as broken.
	if err := os.Rename(r.Path+tmpSuffix, r.Path); err != nil {
		os.Remove(r.Path + tmpSuffix)
		return r, r.fail("save", err)
	}
	if err := syncDir(b.Config.Dir); err != nil {
		return r, r.fail("save", err)
	}
	if err := SaveManifest(b.Config.Dir, m); err != nil {
		os.Remove(r.Path)
		return r, r.fail("save", err)
	}
	r.Manifest = m
	if len(existing) > 0 {
		r.Warnings = compareWithPrevious(m, existing[0], b.Config.DropWarn)
	}
	if b.Config.CopyCommand != "" {
		step("copying off this machine")
		b.recordCopy(ctx, &r)
	}
	if off != nil {
		step("copying to the remotes")
		off.finish(&r)
	}

	step("applying retention")
	r.Retention = r.Policy.Apply(append([]Manifest{m}, existing...))
	r.Deleted = deleteExpired(b.Config.Dir, m.Database, r.Retention)
	r.tally()
	return r, nil
}

// keepForALook keeps a failed dump under failed/ when pg_dump gave it
// anything. One that read nothing (pg_dump could not connect, or wrote
// nothing) holds only compression's empty frame: nothing to look at.
func (b *Backup) keepForALook(r *BackupReport, m Manifest, checks []VerifyCheck) {
	if m.RawBytes == 0 {
		os.Remove(r.Path + tmpSuffix)
		return
	}
	r.KeptAs = keepFailedDump(b.Config.Dir, r.Path+tmpSuffix, m, checks)
}

// oneLine folds a multi-line error (pgx lists every address it tried) into
// one line for a chat message or a shell's stderr.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func (b *Backup) location() *time.Location {
	if b.Config.Location != nil {
		return b.Config.Location
	}
	return time.UTC
}

// tally counts what retention keeps, for "daily 7/7 · monthly 2/4".
func (r *BackupReport) tally() {
	r.Kept = r.Policy.Tally(r.Retention)
}

// preflightResult is what must hold before anything is written.
type preflightResult struct {
	dump, restore, dumpall Tool
	server                 pgversion.Version
	serverNum              int
	env                    []string
	free, estimate         int64
	dbBytes                int64
	origin                 Origin
	listing                Listing
}

// preflight refuses, before writing anything, a pg_dump that cannot dump this
// server, and a directory without room for the backup.
func (b *Backup) preflight(ctx context.Context) (preflightResult, error) {
	var p preflightResult
	num, _, err := b.DB.ServerVersion(ctx)
	if err != nil {
		return p, fmt.Errorf("database unreachable: %w", err)
	}
	p.serverNum, p.server = num, pgversion.FromNum(num)
	if p.origin, err = originOf(ctx, b.DB); err != nil {
		return p, fmt.Errorf("database unreachable: %w", err)
	}
	box, need := NewToolbox(b.Config.PGBinDir), Need{Version: p.server, Server: b.DB.Database() + " on " + b.DB.Host()}
	if p.dump, err = PickTool(ctx, box, "pg_dump", need); err != nil {
		return p, err
	}
	// pg_restore --list verifies the archive: it must read pg_dump's format.
	if p.restore, err = pickRestore(ctx, box, need, p.dump.Version); err != nil {
		return p, err
	}
	// Roles are a bonus; their absence is reported, not fatal.
	if p.dumpall, err = PickTool(ctx, box, "pg_dumpall", need); err != nil {
		p.dumpall = Tool{}
	}
	if p.env, err = store.ClientEnv(b.Config.DatabaseURL, ""); err != nil {
		return p, err
	}
	if err := os.MkdirAll(b.Config.Dir, 0o700); err != nil {
		return p, fmt.Errorf("create BACKUP_DIR: %w", err)
	}
	if p.free, err = FreeBytes(b.Config.Dir); err != nil {
		return p, err
	}
	if p.dbBytes, err = b.DB.DatabaseSize(ctx); err != nil {
		return p, err
	}
	if p.listing, err = ReadListing(b.Config.Dir, p.origin); err != nil {
		return p, err
	}
	p.estimate = estimateSize(p.listing.Backups, p.dbBytes)
	if p.free < p.estimate {
		return p, fmt.Errorf("%w: BACKUP_DIR has %s free, the backup needs about %s (database %s): "+
			"free space or lower BACKUP_KEEP_DAILY",
			ErrDiskFull, humanize.Bytes(p.free), humanize.Bytes(p.estimate), humanize.Bytes(p.dbBytes))
	}
	return p, nil
}

// estimateSize predicts a backup's size from the database's and the last
// backup's compression ratio, with a 20% margin.
func estimateSize(all []Manifest, dbBytes int64) int64 {
	ratio := defaultRatio
	if len(all) > 0 && all[0].DatabaseBytes > 0 {
		ratio = float64(all[0].CompressedBytes) / float64(all[0].DatabaseBytes)
	}
	return int64(float64(dbBytes) * ratio * 1.2)
}

// dumpAndCount streams pg_dump of an exported snapshot into a temporary file
// while counting every table's rows in that same snapshot.
func (b *Backup) dumpAndCount(ctx context.Context, f *os.File, m Manifest, pre preflightResult,
	progress func(BackupProgress), start time.Time) (Manifest, dumpStats, error) {
	m.DatabaseBytes = pre.dbBytes
	snap, err := b.DB.ExportSnapshot(ctx)
	if err != nil {
		return m, dumpStats{}, err
	}
	defer snap.Close(ctx)
	m.Snapshot = snap.ID

	path := f.Name()
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := pgProc(dctx, pre.dump, pre.env, "--format=custom", "--compress=0", "--snapshot="+snap.ID)
	var raw, written counter
	type result struct {
		stats dumpStats
		err   error
	}
	done := make(chan result, 1)
	go func() {
		s, err := streamDump(dctx, cmd, f, &raw, &written)
		done <- result{s, err}
	}()

	// Count in the snapshot while pg_dump streams: the counts cost no extra time.
	m.Tables, m.Fingerprints, err = b.countSnapshot(dctx, snap)
	if err != nil {
		cancel()
		<-done
		os.Remove(path)
		return m, dumpStats{}, err
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case res := <-done:
			if res.err != nil {
				m.RawBytes = raw.n.Load() // how far pg_dump got: 0 when it never sent a byte
				return m, res.stats, res.err
			}
			m.RawBytes, m.CompressedBytes, m.SHA256 = res.stats.raw, res.stats.compressed, res.stats.sha256
			return m, res.stats, nil
		case <-tick.C:
			progress(BackupProgress{Step: "dumping", RawBytes: raw.n.Load(), Written: written.n.Load(),
				StartedAt: start, Elapsed: b.now().Sub(start)})
		}
	}
}

func (b *Backup) countSnapshot(ctx context.Context, snap *store.Snapshot) ([]TableCount, map[string]string, error) {
	tables, err := snap.Tables(ctx)
	if err != nil {
		return nil, nil, err
	}
	counts := make([]TableCount, 0, len(tables))
	for _, t := range tables {
		n, err := snap.CountRows(ctx, t)
		if err != nil {
			return nil, nil, err
		}
		counts = append(counts, TableCount{Table: t.Schema + "." + t.Name, Rows: n})
	}
	fps := map[string]string{}
	for _, t := range b.Config.FingerprintTables {
		if t.Schema == "" {
			t.Schema = "public"
		}
		if !containsIdent(tables, t) {
			continue // a configured table this database lacks has nothing to prove
		}
		fp, err := snap.Fingerprint(ctx, t)
		if err != nil {
			return nil, nil, err
		}
		fps[t.Schema+"."+t.Name] = fp
	}
	return counts, fps, nil
}

func containsIdent(ids []vocab.Ident, id vocab.Ident) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
