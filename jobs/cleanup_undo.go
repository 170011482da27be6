package jobs

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// ErrNoUndo means there is no cleanup to undo by that name (none at all, or
// its undo window has passed).
var ErrNoUndo = errors.New("no cleanup to undo")

// undoFileName matches the files a cleanup writes under UndoDir; nothing
// else there is ever removed.
var undoFileName = regexp.MustCompile(`^(cleanup-(\d{8}T\d{6}Z)(?:-\d+)?)\.undo\.(?:zst|json)(?:\.tmp)?$`)

// UndoRun is one cleanup that can be undone: its undo file's manifest.
type UndoRun struct {
	Run      string        `json:"run"`
	File     string        `json:"file"` // path of the undo file
	Table    string        `json:"table"`
	Trigger  vocab.Trigger `json:"trigger,omitempty"`
	Cutoff   time.Time     `json:"cutoff"`
	Started  time.Time     `json:"started"`
	Finished time.Time     `json:"finished,omitzero"`
	Expires  time.Time     `json:"expires"`
	Rows     int64         `json:"rows"` // -1: unknown (the run was interrupted)
	ByType   []TypeCount   `json:"by_type,omitempty"`
	// Complete is false for a run that crashed: the file holds the batches
	// committed before the crash.
	Complete  bool       `json:"complete"`
	UndoneAt  *time.Time `json:"undone_at,omitempty"`
	Restored  int64      `json:"restored,omitempty"`
	Skipped   int64      `json:"skipped,omitempty"`   // written again since: the live value was kept
	Unchanged int64      `json:"unchanged,omitempty"` // already there as the file holds them: never deleted, or put back before
	// Database and SystemID say whose rows the file holds; empty in files
	// written before they were recorded.
	Database string `json:"database,omitempty"`
	SystemID string `json:"system_identifier,omitempty"`
}

// ownsUndo reports whether a cleanup of o wrote u: undo files of another
// database sharing BACKUP_DIR are never listed, undone or swept.
func (o Origin) ownsUndo(u UndoRun) bool {
	if u.Database == "" { // written before the database was recorded
		return true
	}
	return o.owns(Manifest{Database: u.Database, SystemID: u.SystemID})
}

// origin is the cleaned database's identity, for the undo files.
func (c *Cleanup) origin(ctx context.Context) Origin {
	o, _ := originOf(ctx, c.DB)
	return o
}

func manifestPath(dir, run string) string { return filepath.Join(dir, run+undoManifestSuffix) }

// ListUndo lists the cleanups that can still be undone, newest first.
func (c *Cleanup) ListUndo(ctx context.Context) ([]UndoRun, error) {
	o := c.origin(ctx)
	dir := c.Config.UndoDir
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list undo files: %w", err)
	}
	now := c.now()
	var runs []UndoRun
	for _, e := range entries {
		m := undoFileName.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() || filepath.Ext(e.Name()) != ".zst" {
			continue
		}
		u, err := c.readRun(m[1])
		if err != nil || !now.Before(u.Expires) || !o.ownsUndo(u) {
			continue
		}
		runs = append(runs, u)
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].Started.After(runs[j].Started) })
	return runs, nil
}

// readRun reads a run's manifest, or rebuilds it from the undo file's header
// when the run was interrupted before writing one.
func (c *Cleanup) readRun(run string) (UndoRun, error) {
	dir := c.Config.UndoDir
	var u UndoRun
	data, err := os.ReadFile(manifestPath(dir, run))
	if err == nil {
		err = json.Unmarshal(data, &u)
		u.File = filepath.Join(dir, run+undoSuffix) // wherever BACKUP_DIR is now
		return u, err
	}
	r, err := openUndo(filepath.Join(dir, run+undoSuffix))
	if err != nil {
		return u, err
	}
	defer r.Close()
	h := r.Header
	return UndoRun{Run: run, File: filepath.Join(dir, run+undoSuffix), Table: h.Table, Trigger: h.Trigger,
		Database: h.Database, SystemID: h.SystemID,
		Cutoff: h.Cutoff, Started: h.Started, Expires: h.Started.Add(c.undoTTL()), Rows: -1}, nil
}

// sweepUndo removes undo files and manifests whose run is older than the
// undo window; it runs under the heavy-job lock.
func (c *Cleanup) sweepUndo(now time.Time, o Origin) []string {
	entries, err := os.ReadDir(c.Config.UndoDir)
	if err != nil {
		return nil
	}
	var swept []string
	for _, e := range entries {
		m := undoFileName.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			continue
		}
		started, err := time.Parse(nameTimeLayout, m[2])
		if err != nil || now.Before(started.Add(c.undoTTL())) {
			continue
		}
		if u, err := c.readRun(m[1]); err == nil && !o.ownsUndo(u) {
			continue
		}
		if os.Remove(filepath.Join(c.Config.UndoDir, e.Name())) == nil {
			swept = append(swept, e.Name())
		}
	}
	return swept
}

// Undo puts back the rows a cleanup deleted (run "" is the newest one that
// can still be undone), in batches, skipping every key written again since:
// the live value wins. It takes the heavy-job lock, refuses the credentials
// table, and can be run again after a stop or failure to finish the job.
func (c *Cleanup) Undo(ctx context.Context, run string) (UndoReport, error) {
	start := time.Now()
	var r UndoReport
	err := c.undo(ctx, run, &r)
	r.Duration = time.Since(start)
	return r, err
}

func (c *Cleanup) undo(ctx context.Context, run string, r *UndoReport) error {
	lock, err := c.DB.TryLock(ctx, "cleanup undo", "undo "+cmp.Or(run, "newest"), c.now())
	if err != nil {
		return r.fail("lock", err)
	}
	defer lock.Unlock(ctx)

	u, err := c.findRun(ctx, run)
	if err != nil {
		return r.fail("find", err)
	}
	r.Run, r.File, r.Rows = u.Run, u.File, u.Rows
	if u.UndoneAt != nil {
		return r.fail("find", fmt.Errorf("cleanup %s was already undone at %s", u.Run, u.UndoneAt.UTC().Format(time.RFC3339)))
	}
	f, err := openUndo(u.File)
	if err != nil {
		return r.fail("read", err)
	}
	defer f.Close()
	r.Table, err = vocab.ParseIdent(f.Header.Table)
	if err != nil || r.Table != c.Config.KeysTable {
		return r.fail("check", fmt.Errorf("undo file is for table %q, not the keys table %s", f.Header.Table, c.Config.KeysTable))
	}
	cols, err := c.undoColumns(ctx, r.Table, f.Header.Columns)
	if err != nil {
		return r.fail("check", err)
	}
	var total int64
	for {
		if ctx.Err() != nil {
			r.Stopped = true
			break
		}
		rows, err := f.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return r.fail("read", err)
		}
		total += int64(len(rows))
		for len(rows) > 0 {
			n := min(len(rows), c.batchSize())
			in, same, err := c.restore(ctx, r.Table, cols, rows[:n])
			if err != nil {
				return r.fail("restore", err)
			}
			r.Restored += in
			r.Unchanged += same
			r.Skipped += int64(n) - in - same
			rows = rows[n:]
		}
	}
	if r.Stopped {
		return nil
	}
	r.Rows = total
	now := c.now()
	u.UndoneAt, u.Restored, u.Skipped, u.Unchanged, u.Rows = &now, r.Restored, r.Skipped, r.Unchanged, total
	if err := writeJSONAtomic(manifestPath(c.Config.UndoDir, u.Run), u); err != nil {
		return r.fail("record", err)
	}
	return nil
}

// findRun is the named run, or the newest one that can still be undone.
func (c *Cleanup) findRun(ctx context.Context, run string) (UndoRun, error) {
	runs, err := c.ListUndo(ctx)
	if err != nil {
		return UndoRun{}, err
	}
	for _, u := range runs {
		if run == "" || u.Run == run {
			return u, nil
		}
	}
	if run == "" {
		return UndoRun{}, fmt.Errorf("%w in the last %s", ErrNoUndo, c.undoTTL())
	}
	return UndoRun{}, fmt.Errorf("%w named %q (undo files last %s)", ErrNoUndo, run, c.undoTTL())
}

// undoColumns checks the undo file's columns against the table as it is now.
func (c *Cleanup) undoColumns(ctx context.Context, table vocab.Ident, saved []store.Column) ([]store.Column, error) {
	now, err := c.DB.TableColumns(ctx, table)
	if err != nil {
		return nil, err
	}
	types := map[string]string{}
	for _, col := range now {
		types[col.Name] = col.Type
	}
	for _, col := range saved {
		if t, ok := types[col.Name]; !ok || t != col.Type {
			return nil, fmt.Errorf("column %s %s of the undo file does not match the table any more", col.Name, col.Type)
		}
	}
	return saved, nil
}

// restore inserts one batch, retrying while rows are busy: how many went in,
// and how many were there already as the file holds them.
func (c *Cleanup) restore(ctx context.Context, table vocab.Ident, cols []store.Column,
	rows [][]*string) (in, same int64, _ error) {
	auth := c.Config.AuthTable
	if auth.Name == "" {
		auth = vocab.Ident{Name: store.CredentialsTable}
	}
	err := retryBusy(ctx, func() error {
		var err error
		in, same, err = c.DB.RestoreRows(context.WithoutCancel(ctx), table, auth, cols, rows)
		return err
	}, nil)
	return in, same, err
}
