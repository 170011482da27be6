package jobs

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pgkeeper/pgkeeper/vocab"
)

// Backup file naming (see backup_name.go). Only names of this form, for the
// database at hand, are ever listed or deleted.
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
	From   string        `json:"from,omitempty"` // the remote whose copy was restored; "" for the local file
}

// Manifest describes one backup; it sits beside the dump as <name>.manifest.json.
// A backup exists for pgkeeper only when its manifest says Verified.
type Manifest struct {
	Format           int               `json:"format"`
	Name             string            `json:"name"` // base name, without suffixes
	Database         string            `json:"database"`
	SystemID         string            `json:"system_identifier,omitempty"` // the server's; absent before it was recorded
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
	Trigger          vocab.Trigger     `json:"trigger,omitempty"`
	Snapshot         string            `json:"snapshot"`
	Tables           []TableCount      `json:"tables"`
	Fingerprints     map[string]string `json:"fingerprints,omitempty"`
	Globals          string            `json:"globals,omitempty"` // file name, when roles could be dumped
	GlobalsNote      string            `json:"globals_note,omitempty"`
	GlobalsSHA256    string            `json:"globals_sha256,omitempty"` // the roles file's, as written
	// GlobalsFrom is set when the roles file is the one another backup of
	// the same server dumped (see Roles): the same bytes, written here too.
	GlobalsFrom  *RolesSource   `json:"globals_from,omitempty"`
	Verified     bool           `json:"verified"`
	Checks       []VerifyCheck  `json:"checks"`
	RestoreTests []RestoreProof `json:"restore_tests,omitempty"`
	Copy         *CopyOutcome   `json:"copy,omitempty"` // BACKUP_COPY_COMMAND's outcome
	Remotes      []RemoteCopy   `json:"remotes,omitempty"`
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

// writeJSONAtomic writes v to path through a temporary file, fsynced and
// renamed, so a crash leaves either the old file or the new one, never half.
func writeJSONAtomic(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	tmp := path + tmpSuffix
	removeIfUnheld(tmp) // a killed run's
	f, err := createTemp(tmp)
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	// The file stays open, and so locked against sweeps, until it is renamed.
	defer f.Close()
	if _, err := f.Write(append(data, '\n')); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := f.Sync(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("fsync %s: %w", filepath.Base(path), err)
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
