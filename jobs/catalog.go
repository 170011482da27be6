package jobs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pgkeeper/pgkeeper/store"
)

// Origin is the server and database a backup was taken from. Backups of
// another origin may share BACKUP_DIR; pgkeeper never lists, compares or
// deletes them.
type Origin struct {
	// SystemID is the server's system identifier (pg_control_system); empty
	// when the server does not answer, and then any server's backups of
	// Database are read (never deleted: deleting needs the server up).
	SystemID string
	Database string
}

// owns reports whether a manifest's origin is this one. A manifest without
// a system identifier predates it (format 1) and is judged by its database.
func (o Origin) owns(m Manifest) bool {
	if m.Database != o.Database {
		return false
	}
	return o.SystemID == "" || m.SystemID == "" || m.SystemID == o.SystemID
}

// Catalog is one database's backups in a directory.
type Catalog struct {
	Dir string
	DB  *store.DB
}

// Origin is the catalog's database and, when its server answers, the
// server's system identifier.
func (c Catalog) Origin(ctx context.Context) Origin {
	o, _ := originOf(ctx, c.DB)
	return o
}

// originOf is db's database and its server's system identifier. When the
// server does not answer, the Origin names the database alone (reading then
// takes its backups from any server) and the error says why; anything that
// deletes must stop on that error.
func originOf(ctx context.Context, db *store.DB) (Origin, error) {
	o := Origin{Database: db.Database()}
	var err error
	o.SystemID, err = db.SystemIdentifier(ctx)
	return o, err
}

// List reads the catalog's backups; see ReadListing.
func (c Catalog) List(ctx context.Context) (Listing, error) {
	return ReadListing(c.Dir, c.Origin(ctx))
}

// Find returns the verified backup called name (with or without its suffix),
// or the newest when name is empty. A broken backup of that name is refused
// with its reason.
func (c Catalog) Find(ctx context.Context, name string) (Manifest, error) {
	l, err := c.List(ctx)
	if err != nil {
		return Manifest{}, err
	}
	return l.Find(c.Dir, name)
}

// BrokenBackup is a backup of this database that cannot be trusted: its
// manifest does not parse, names files that are not its own, or its dump is
// gone; or a dump lies there without a manifest. It is listed, never used,
// and never deleted but by `pgkeeper backups --prune-broken --yes`.
type BrokenBackup struct {
	Name   string   // base name, from the file names
	Reason string   // what is wrong, for people
	Files  []string // its files present in the directory
	Bytes  int64    // the space they hold
}

// Listing is what a directory holds for one origin.
type Listing struct {
	Dir     string
	Backups []Manifest     // verified, newest first
	Broken  []BrokenBackup // newest first
	// Others counts manifests of other databases or servers in the same
	// directory, left alone.
	Others int
}

// Find picks a verified backup by name (newest when empty) from the listing.
func (l Listing) Find(dir, name string) (Manifest, error) {
	if name == "" {
		if len(l.Backups) == 0 {
			return Manifest{}, fmt.Errorf("no verified backup in %s: run a backup first%s", dir, l.brokenNote())
		}
		return l.Backups[0], nil
	}
	name = strings.TrimSuffix(strings.TrimSuffix(filepath.Base(name), dumpSuffix), manifestSuffix)
	for _, m := range l.Backups {
		if m.Name == name {
			return m, nil
		}
	}
	for _, b := range l.Broken {
		if b.Name == name {
			return Manifest{}, fmt.Errorf("%w: %s %s: it is not used; `pgkeeper backups --prune-broken` removes it",
				ErrBrokenBackup, name, b.Reason)
		}
	}
	return Manifest{}, fmt.Errorf("no verified backup called %q in %s: /backups lists them", name, dir)
}

func (l Listing) brokenNote() string {
	if len(l.Broken) == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d broken backups there cannot be used: /backups says why)", len(l.Broken))
}

// ErrBrokenBackup means the backup asked for exists but cannot be trusted.
var ErrBrokenBackup = errors.New("broken backup")

// ReadListing reads dir's backups of origin o. Every name and manifest read
// back from disk is untrusted: a backup counts only when its manifest parses,
// names itself by its own file name, comes from o, is verified, names no
// roles file but its own, and its dump is a regular file beside it.
func ReadListing(dir string, o Origin) (Listing, error) {
	l := Listing{Dir: dir}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return l, fmt.Errorf("list backups in %s: %w", dir, err)
	}
	own := ownFilesOf(o.Database)
	groups := map[string][]fs.DirEntry{}
	for _, e := range entries {
		base, _, tmp, ok := own.parse(e.Name())
		switch {
		case ok && !tmp:
			groups[base] = append(groups[base], e)
		case !ok && strings.HasSuffix(e.Name(), manifestSuffix) && !e.IsDir():
			l.Others++
		}
	}
	for base, files := range groups {
		m, foreign, reason := judge(dir, base, files, o)
		switch {
		case foreign:
			l.Others++
		case reason != "":
			b := BrokenBackup{Name: base, Reason: reason}
			for _, f := range files {
				b.Files = append(b.Files, f.Name())
				if info, err := f.Info(); err == nil {
					b.Bytes += info.Size()
				}
			}
			sort.Strings(b.Files)
			l.Broken = append(l.Broken, b)
		default:
			l.Backups = append(l.Backups, m)
		}
	}
	sort.Slice(l.Backups, func(i, j int) bool { return l.Backups[i].Start.After(l.Backups[j].Start) })
	// Base names end in a fixed-width UTC time: by name is by age.
	sort.Slice(l.Broken, func(i, j int) bool { return l.Broken[i].Name > l.Broken[j].Name })
	return l, nil
}

// judge decides whether the files of one base name make a backup of o; if
// not, either they are another server's backup of the same database name
// (foreign: not ours, not broken), or reason says in words for people what
// is broken.
func judge(dir, base string, files []fs.DirEntry, o Origin) (m Manifest, foreign bool, reason string) {
	have := map[string]fs.DirEntry{}
	for _, f := range files {
		have[strings.TrimPrefix(f.Name(), base)] = f
	}
	if _, ok := have[manifestSuffix]; !ok {
		return Manifest{}, false, "has no manifest (a run stopped before recording it, or the manifest was removed)"
	}
	for suffix, f := range have {
		if !f.Type().IsRegular() {
			return Manifest{}, false, fmt.Sprintf("has %s that is not a regular file", base+suffix)
		}
	}
	m, err := readManifest(filepath.Join(dir, base+manifestSuffix))
	switch {
	case err != nil:
		return m, false, "has a manifest that does not read: " + oneLine(err.Error())
	case m.Format < 1 || m.Format > manifestFormat:
		return m, false, fmt.Sprintf("has a manifest of format %d, which this pgkeeper does not know", m.Format)
	case m.Name != base:
		return m, false, fmt.Sprintf("has a manifest that names another backup (%q)", m.Name)
	case m.Database != o.Database:
		return m, false, fmt.Sprintf("has a manifest made for database %q", m.Database)
	case !o.owns(m):
		return m, true, ""
	case startReason(base, m.Start) != "":
		return m, false, startReason(base, m.Start)
	case !m.Verified:
		return m, false, "has a manifest that does not say verified"
	case m.Globals != "" && m.Globals != base+globalsSuffix:
		return m, false, fmt.Sprintf("has a manifest that names a roles file not its own (%q)", m.Globals)
	}
	if _, ok := have[dumpSuffix]; !ok {
		return m, false, "has lost its dump " + m.DumpFile()
	}
	if _, ok := have[globalsSuffix]; m.Globals != "" && !ok {
		return m, false, "has lost its roles file " + m.Globals
	}
	return m, false, ""
}
