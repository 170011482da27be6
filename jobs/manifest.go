package jobs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Backup file naming. Only names of this form are ever listed or deleted:
// pgkeeper never touches a file it did not write.
const (
	dumpSuffix     = ".dump.zst"
	manifestSuffix = ".manifest.json"
	globalsSuffix  = ".globals.sql.zst"
	tmpSuffix      = ".tmp"
	nameTimeLayout = "20060102T150405Z"
	manifestFormat = 1
)

// Backup kinds.
const (
	KindDaily   = "daily"
	KindMonthly = "monthly"
)

// TableCount is one table's exact row count in the backup's snapshot.
type TableCount struct {
	Table string `json:"table"` // schema.name
	Rows  int64  `json:"rows"`
}

// VerifyCheck is one verification step of a backup and its outcome.
type VerifyCheck struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// RestoreProof records a restore test of this backup (the restore-test job).
type RestoreProof struct {
	At     time.Time     `json:"at"`
	OK     bool          `json:"ok"`
	RTO    time.Duration `json:"rto_ns"`
	Detail string        `json:"detail,omitempty"`
}

// Manifest describes one backup; it sits beside the dump as <name>.manifest.json.
// A backup exists for pgkeeper only when its manifest says Verified.
type Manifest struct {
	Format           int               `json:"format"`
	Name             string            `json:"name"` // base name, without suffixes
	Database         string            `json:"database"`
	Host             string            `json:"host"`
	ServerVersion    string            `json:"server_version"`
	ServerVersionNum int               `json:"server_version_num"`
	PgDumpVersion    string            `json:"pg_dump_version"`
	Start            time.Time         `json:"start"`
	End              time.Time         `json:"end"`
	Duration         time.Duration     `json:"duration_ns"`
	DatabaseBytes    int64             `json:"database_bytes"`
	RawBytes         int64             `json:"raw_bytes"`
	CompressedBytes  int64             `json:"compressed_bytes"`
	Compression      string            `json:"compression"`
	SHA256           string            `json:"sha256"`
	Kind             string            `json:"kind"`
	Trigger          string            `json:"trigger,omitempty"`
	Snapshot         string            `json:"snapshot"`
	Tables           []TableCount      `json:"tables"`
	Fingerprints     map[string]string `json:"fingerprints,omitempty"`
	Globals          string            `json:"globals,omitempty"` // file name, when roles could be dumped
	GlobalsNote      string            `json:"globals_note,omitempty"`
	Verified         bool              `json:"verified"`
	Checks           []VerifyCheck     `json:"checks"`
	RestoreTests     []RestoreProof    `json:"restore_tests,omitempty"`
	Copy             *CopyOutcome      `json:"copy,omitempty"` // BACKUP_COPY_COMMAND's outcome
}

// DumpFile is the dump's file name.
func (m Manifest) DumpFile() string { return m.Name + dumpSuffix }

// TotalRows is the sum of all tables' rows.
func (m Manifest) TotalRows() int64 {
	var n int64
	for _, t := range m.Tables {
		n += t.Rows
	}
	return n
}

// backupName is the base name of a backup of db started at t.
func backupName(db string, t time.Time) string {
	return db + "-" + t.UTC().Format(nameTimeLayout)
}

// writeJSONAtomic writes v to path through a temporary file, fsynced and
// renamed, so a crash leaves either the old file or the new one, never half.
func writeJSONAtomic(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	tmp := path + tmpSuffix
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("fsync %s: %w", filepath.Base(path), err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("close %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("rename %s: %w", filepath.Base(path), err)
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes a rename durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// SaveManifest writes m beside its dump in dir.
func SaveManifest(dir string, m Manifest) error {
	return writeJSONAtomic(filepath.Join(dir, m.Name+manifestSuffix), m)
}

// ListBackups reads every manifest in dir, newest first. Only verified backups
// whose dump is present are returned: anything else is not a backup.
func ListBackups(dir string) ([]Manifest, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list backups in %s: %w", dir, err)
	}
	var out []Manifest
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), manifestSuffix) {
			continue
		}
		m, err := readManifest(filepath.Join(dir, e.Name()))
		if err != nil || !m.Verified || m.Name+manifestSuffix != e.Name() {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, m.DumpFile())); err != nil {
			continue
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.After(out[j].Start) })
	return out, nil
}

func readManifest(path string) (Manifest, error) {
	var m Manifest
	data, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return m, nil
}

// FindBackup returns the verified backup called name (with or without its
// suffix), or the newest when name is empty.
func FindBackup(dir, name string) (Manifest, error) {
	all, err := ListBackups(dir)
	if err != nil {
		return Manifest{}, err
	}
	if len(all) == 0 {
		return Manifest{}, fmt.Errorf("no verified backup in %s: run a backup first", dir)
	}
	if name == "" {
		return all[0], nil
	}
	name = strings.TrimSuffix(strings.TrimSuffix(filepath.Base(name), dumpSuffix), manifestSuffix)
	for _, m := range all {
		if m.Name == name {
			return m, nil
		}
	}
	return Manifest{}, fmt.Errorf("no verified backup called %q in %s: /backups lists them", name, dir)
}
