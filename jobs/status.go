package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/internal/pgversion"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// statusDeadline bounds the database part of a status report, so that a down
// or hung server is reported as such within five seconds instead of hanging.
const statusDeadline = 4500 * time.Millisecond

// StatusConfig is what a status report looks at and its thresholds.
type StatusConfig struct {
	Tables           []vocab.Ident
	KeysTable        vocab.Ident
	KeysAgeColumn    string
	RetentionDays    int
	LatencyThreshold time.Duration
	PoolThreshold    float64 // share of the pool in use above which to warn
	BackupDir        string
	BackupMaxAge     time.Duration // warn when the newest verified backup is older
	PGBinDir         string
	// Degraded, when set, is a warning every report repeats: what this
	// process runs without, and what to do.
	Degraded string
	// Remotes are reported with their newest verified copy and its age.
	Remotes []RemoteSpec
}

// Status reports on the guarded database's health, tables, key ages, client
// tools and backup space.
type Status struct {
	DB     *store.DB
	Config StatusConfig
	Now    func() time.Time
	// History, when set, gives each job's last run and keeps each report's
	// sizes for the trend charts.
	History *History
	// ReadOnly reads the history but stores no sizes: the shell's status runs
	// as a health check and from cron, as often as every few seconds.
	ReadOnly bool
	// Restore, when set, is the restore test whose server is searched for
	// databases stopped runs left (LeftoverDatabase).
	Restore *RestoreTest
}

// StatusReport is what Status.Run found. Every failure is in it as a finding:
// a report is produced even when the database is down.
type StatusReport struct {
	At        time.Time
	Took      time.Duration
	Database  DatabaseStatus
	Tables    []TableStatus
	Keys      KeysStatus
	Tools     []ToolStatus
	BackupDir DirStatus
	// LastBackup is the newest verified backup; nil when there is none.
	LastBackup  *Manifest
	BackupStale bool // LastBackup is older than BackupMaxAge
	// LastRuns is each job's newest finished run, from the history; nil
	// when there is no history or the database did not answer.
	LastRuns map[string]vocab.Run
	// Remotes are the configured remotes, in configuration order, each with
	// its newest verified copy.
	Remotes []RemoteStatus
	// Leftovers are databases stopped restore tests and recoveries left,
	// each also a finding.
	Leftovers []LeftoverDatabase
	Findings  []Finding
}

// DatabaseStatus is the database's reachability and load.
type DatabaseStatus struct {
	Name, Host       string
	Reachable        bool
	Error            string
	Version          pgversion.Version
	VersionText      string
	Latency          time.Duration
	LatencyThreshold time.Duration
	Pool             store.PoolStats
	PoolThreshold    float64
	SizeBytes        int64
}

// TableStatus is one table's sizes, or why they could not be read.
type TableStatus struct {
	store.TableStats
	Error string
}

// KeysStatus is the keys table's age distribution.
type KeysStatus struct {
	Table         vocab.Ident
	Column        string
	RetentionDays int
	Checked       bool
	Error         string
	store.KeyAges
}

// ToolStatus is a PostgreSQL client binary and whether it can handle the server.
type ToolStatus struct {
	Tool
	Found   bool
	Error   string
	Problem string // set when it cannot handle this server, with the fix
	Level   Level  // how bad Error or Problem is; pg_dump's are critical
}

// DirStatus is the backup directory and its free space.
type DirStatus struct {
	Path      string
	Exists    bool
	FreeBytes int64
	Error     string
	// SameDiskAsDatabase: the backups share a filesystem with the database's
	// data directory, so one disk failure takes both. Known only when the
	// server runs on this machine and lets pgkeeper read where its data is.
	SameDiskAsDatabase bool
}

// Level is the worst level among the report's findings.
func (r StatusReport) Level() Level {
	l := LevelOK
	for _, f := range r.Findings {
		l = max(l, f.Level)
	}
	return l
}

func (r *StatusReport) add(l Level, format string, args ...any) {
	r.Findings = append(r.Findings, Finding{Level: l, Text: fmt.Sprintf(format, args...)})
}

func (s *Status) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Run builds a status report. It never fails: what it cannot learn, it says.
func (s *Status) Run(ctx context.Context) StatusReport { return s.run(ctx, false) }

// Brief is Run for a line of the overview of many databases: key ages of a
// large table are sampled more thinly (the counts are estimates, and say
// so), and no sizes are kept for the trends.
func (s *Status) Brief(ctx context.Context) StatusReport { return s.run(ctx, true) }

func (s *Status) run(ctx context.Context, brief bool) StatusReport {
	start := s.now()
	r := StatusReport{At: start}
	dataDir := "" // the server's, when it runs here and says where
	// Measure the pool before we take a connection from it ourselves.
	pool := s.DB.PoolStats()

	dbctx, cancel := context.WithTimeout(ctx, statusDeadline)
	defer cancel()
	s.database(dbctx, &r, pool)
	o := Origin{Database: s.DB.Database()}
	if r.Database.Reachable { // else the listings take this database's backups from any server
		o, _ = originOf(dbctx, s.DB)
	}
	// The buckets are listed while the rest is measured.
	remotes := s.startRemotes(ctx, o)
	if r.Database.Reachable {
		s.tables(dbctx, &r)
		s.keys(dbctx, &r, start, brief)
		if onThisMachine(s.DB.Host()) {
			dataDir = s.DB.DataDirectory(dbctx)
		}
		if s.History != nil {
			r.LastRuns, _ = s.History.LastRuns(dbctx)
		}
	}
	s.leftovers(dbctx, &r)
	s.tools(ctx, &r)
	s.backupDir(&r, dataDir)
	s.backupDirAccess(&r)
	s.lastBackup(&r, o, start)
	r.Remotes = remotes()
	s.judgeRemotes(&r, start)
	if s.Config.Degraded != "" {
		r.add(LevelWarn, "%s", s.Config.Degraded)
	}
	r.Took = s.now().Sub(start)
	if !s.ReadOnly && !brief {
		s.History.SampleStatus(ctx, r)
	}
	return r
}

// Sample measures only what the trend charts draw (the database's size, the
// keys table's size and rows) and stores it in the history: a point for every
// scheduled run, without a whole report's key-age scan. What it cannot
// measure it leaves out; it never fails the run it follows.
func (s *Status) Sample(ctx context.Context) {
	if s.History == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, statusDeadline)
	defer cancel()
	r := StatusReport{At: s.now()}
	r.Keys.Table = s.Config.KeysTable
	if size, err := s.DB.DatabaseSize(ctx); err == nil {
		r.Database.Reachable, r.Database.SizeBytes = true, size
	}
	if st, err := s.DB.TableStats(ctx, s.Config.KeysTable); err == nil {
		r.Tables = []TableStatus{{TableStats: st}}
	}
	s.History.sample(ctx, sizeSamples(r))
}

func (s *Status) database(ctx context.Context, r *StatusReport, pool store.PoolStats) {
	d := &r.Database
	d.Name, d.Host = s.DB.Database(), s.DB.Host()
	d.LatencyThreshold, d.PoolThreshold, d.Pool = s.Config.LatencyThreshold, s.Config.PoolThreshold, pool
	lat, err := s.DB.Ping(ctx)
	if err != nil {
		d.Error = reason(err)
		r.add(LevelCritical, "database %s unreachable: %s. Check that the server is up and DATABASE_URL is right.", d.Name, d.Error)
		return
	}
	d.Reachable, d.Latency = true, lat
	if lat > s.Config.LatencyThreshold {
		r.add(LevelWarn, "query latency %s is above %s", lat.Round(time.Millisecond), s.Config.LatencyThreshold)
	}
	if pool.Max > 0 && float64(pool.InUse)/float64(pool.Max) > s.Config.PoolThreshold {
		r.add(LevelWarn, "connection pool %d/%d in use, above %.0f%%", pool.InUse, pool.Max, 100*s.Config.PoolThreshold)
	}
	num, text, err := s.DB.ServerVersion(ctx)
	if err != nil {
		r.add(LevelWarn, "server version unknown: %s", reason(err))
	} else {
		d.Version, d.VersionText = pgversion.FromNum(num), text
	}
	if d.SizeBytes, err = s.DB.DatabaseSize(ctx); err != nil {
		r.add(LevelWarn, "database size unknown: %s", reason(err))
	}
}

func (s *Status) tables(ctx context.Context, r *StatusReport) {
	for _, t := range s.Config.Tables {
		st, err := s.DB.TableStats(ctx, t)
		ts := TableStatus{TableStats: st}
		if err != nil {
			ts.Error = reason(err)
			r.add(LevelWarn, "table %s: %s", t, ts.Error)
		}
		r.Tables = append(r.Tables, ts)
	}
}

func (s *Status) keys(ctx context.Context, r *StatusReport, now time.Time, brief bool) {
	if s.Config.KeysTable.Name == "" {
		return // a database without a keys table (KEYS_TABLE_<NAME>=) has no key ages to tell
	}
	k := &r.Keys
	k.Table, k.Column, k.RetentionDays = s.Config.KeysTable, s.Config.KeysAgeColumn, s.Config.RetentionDays
	retention := time.Duration(s.Config.RetentionDays) * 24 * time.Hour
	measure := s.DB.KeyAges
	if brief {
		measure = s.DB.KeyAgesBrief
	}
	ages, err := measure(ctx, k.Table, k.Column, retention, now)
	if err != nil {
		k.Error = reason(err)
		r.add(LevelWarn, "key ages of %s: %s", k.Table, k.Error)
		return
	}
	k.Checked, k.KeyAges = true, ages
}

func (s *Status) tools(ctx context.Context, r *StatusReport) {
	box := NewToolbox(s.Config.PGBinDir)
	need := Need{Version: r.Database.Version, Server: r.Database.Name + " on " + r.Database.Host}
	for _, name := range []string{"pg_dump", "pg_restore"} {
		t, err := PickTool(ctx, box, name, need)
		ts := ToolStatus{Tool: t, Found: t.Version.Valid(), Level: LevelWarn}
		// pg_dump is what backups stand on: without a usable one, say so as critical.
		if name == "pg_dump" {
			ts.Level = LevelCritical
		}
		switch {
		case err == nil:
		case ts.Found:
			// Found, but of an older major than the server: the error says which, and what to install.
			ts.Problem = err.Error()
			r.add(ts.Level, "%s", ts.Problem)
		default:
			ts.Error = reason(err)
			r.add(ts.Level, "%s: %s", name, ts.Error)
		}
		r.Tools = append(r.Tools, ts)
	}
}

func (s *Status) backupDir(r *StatusReport, dataDir string) {
	d := &r.BackupDir
	d.Path = s.Config.BackupDir
	if abs, err := filepath.Abs(d.Path); err == nil {
		d.Path = abs
	}
	// A directory not made yet is measured on its nearest existing parent:
	// that is where the first backup will land.
	probe := d.Path
	for {
		if st, err := os.Stat(probe); err == nil && st.IsDir() {
			break
		}
		parent := filepath.Dir(probe)
		if parent == probe {
			break
		}
		probe = parent
	}
	d.Exists = probe == d.Path
	free, err := FreeBytes(probe)
	if err != nil {
		d.Error = reason(err)
		r.add(LevelWarn, "backup directory: %s", d.Error)
		return
	}
	d.FreeBytes = free
	if dataDir != "" {
		d.SameDiskAsDatabase, _ = sameDevice(probe, dataDir)
	}
	if r.Database.SizeBytes > 0 && free < r.Database.SizeBytes {
		r.add(LevelWarn, "backup directory has %s free, less than the database (%s)",
			humanize.Bytes(free), humanize.Bytes(r.Database.SizeBytes))
	}
}

// backupDirAccess warns when users other than pgkeeper's may list the
// backups (or more), with the chmod that stops it.
func (s *Status) backupDirAccess(r *StatusReport) {
	if w := BackupDirAccess(s.Config.BackupDir); w != "" {
		r.add(LevelWarn, "%s", w)
	}
}

// reason is an error's text for a report, shortened for a deadline.
func reason(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer within " + statusDeadline.Round(time.Second).String()
	}
	return err.Error()
}

func (s *Status) lastBackup(r *StatusReport, o Origin, now time.Time) {
	l, err := ReadListing(s.Config.BackupDir, o)
	if err != nil {
		r.add(LevelWarn, "backups unreadable: %s", reason(err))
		return
	}
	r.brokenBackups(l.Broken)
	all := l.Backups
	if len(all) == 0 {
		r.add(LevelWarn, "no verified backup yet: run /backup (or pgkeeper backup)")
		return
	}
	r.LastBackup = &all[0]
	if age := now.Sub(all[0].Start); s.Config.BackupMaxAge > 0 && age > s.Config.BackupMaxAge {
		r.BackupStale = true
		r.add(LevelWarn, "newest backup is %s old, over the %s limit (BACKUP_MAX_AGE_HOURS): "+
			"check the schedule and the last backup's alert",
			humanize.Duration(age), humanize.Duration(s.Config.BackupMaxAge))
	}
}

// brokenBackups warns of backups that cannot be trusted: they hold space
// and pgkeeper neither uses nor deletes them unasked.
func (r *StatusReport) brokenBackups(broken []BrokenBackup) {
	if len(broken) == 0 {
		return
	}
	var bytes int64
	for _, b := range broken {
		bytes += b.Bytes
	}
	r.add(LevelWarn, "%d broken backups hold %s (newest: %s %s): never used or deleted by themselves; "+
		"`pgkeeper backups --prune-broken` lists them and removes them with --yes",
		len(broken), humanize.Bytes(bytes), broken[0].Name, broken[0].Reason)
}

// leftovers warns about each database a stopped restore test or recovery
// left. What cannot be looked at is said only while the database answers:
// otherwise its own finding already says why.
func (s *Status) leftovers(ctx context.Context, r *StatusReport) {
	if s.Restore == nil {
		return
	}
	found, err := s.Restore.Leftovers(ctx)
	if err != nil && r.Database.Reachable {
		r.add(LevelWarn, "leftover databases of stopped restores unknown: %s", reason(err))
	}
	r.Leftovers = found
	for _, l := range found {
		r.add(LevelWarn, "%s", l.Describe(r.At))
	}
}
