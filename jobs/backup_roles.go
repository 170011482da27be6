package jobs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// maxSharedRoles bounds the roles file kept in memory to be shared; a
// server with more roles than that has each backup dump its own.
const maxSharedRoles = 16 << 20

// RolesSource says which backup's pg_dumpall made the roles file a backup
// was given by another backup of the same server.
type RolesSource struct {
	Database string    `json:"database"` // the database that backup was of, as the server has it
	Backup   string    `json:"backup"`   // its name; its roles file lies beside its dump
	At       time.Time `json:"at"`       // when pg_dumpall ran
}

// Roles lets the backups of several databases on one server share one
// pg_dumpall --globals-only (#14): roles and tablespaces belong to the
// server, not to a database. The first backup of a server dumps them; the
// others within the window write the same compressed bytes, checked
// against their sha256, as their own roles file, so that each backup stays
// whole by itself. A failed dump is not kept: the next backup tries its
// own. Safe for concurrent use; a nil *Roles shares nothing.
type Roles struct {
	ttl time.Duration
	now func() time.Time

	mu       sync.Mutex
	byServer map[string]*serverRoles
}

// serverRoles is one server's shared roles file.
type serverRoles struct {
	// turn is held (full) while a backup dumps or copies them: the others
	// wait, as long as their context lets them, then reuse.
	turn   chan struct{}
	data   []byte // the compressed roles file; nil until a dump succeeded
	sha256 string
	from   RolesSource
}

// NewRoles shares each server's roles for ttl after they were dumped; 0
// shares them for as long as the Roles lives (one `backup --all`). now may
// be nil (the wall clock).
func NewRoles(ttl time.Duration, now func() time.Time) *Roles {
	if now == nil {
		now = time.Now
	}
	return &Roles{ttl: ttl, now: now, byServer: map[string]*serverRoles{}}
}

// server is the shared roles of the server key names.
func (r *Roles) server(key string) *serverRoles {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.byServer[key]
	if s == nil {
		s = &serverRoles{turn: make(chan struct{}, 1)}
		r.byServer[key] = s
	}
	return s
}

// fresh reports whether s holds roles dumped within the window.
func (r *Roles) fresh(s *serverRoles) bool {
	return s.data != nil && (r.ttl == 0 || r.now().Sub(s.from.At) < r.ttl)
}

// rolesResult is what saving a backup's roles gave its manifest.
type rolesResult struct {
	file, note, sha256 string
	from               *RolesSource // nil: this backup's own pg_dumpall
}

// saveRoles writes the backup's roles file: the server's shared one when a
// backup of the same server (same system identifier, same address) dumped
// it within the window, else a pg_dumpall of its own, then shared.
func (b *Backup) saveRoles(ctx context.Context, m Manifest, pre preflightResult) rolesResult {
	own := func() rolesResult {
		return dumpGlobals(ctx, b.Config.Dir, m.Name, b.DB.Database(), pre.dumpall, pre.env)
	}
	cache := b.Config.Roles
	if cache == nil || pre.dumpall.Path == "" || pre.origin.SystemID == "" {
		return own()
	}
	s := cache.server(pre.origin.SystemID + "@" + b.DB.Host())
	select {
	case s.turn <- struct{}{}:
		defer func() { <-s.turn }()
	case <-ctx.Done():
		return rolesResult{note: "roles not saved: " + ctx.Err().Error()}
	}
	if cache.fresh(s) {
		res, err := writeRoles(b.Config.Dir, m.Name, s.data, s.sha256)
		if err != nil {
			return rolesResult{note: "roles not saved: " + oneLine(err.Error())}
		}
		from := s.from
		res.from = &from
		return res
	}
	res := own()
	if res.file == "" {
		return res // not shared: the next backup of this server tries its own
	}
	data, err := os.ReadFile(filepath.Join(b.Config.Dir, res.file))
	if err == nil && len(data) <= maxSharedRoles && sha256Hex(data) == res.sha256 {
		s.data, s.sha256 = data, res.sha256
		s.from = RolesSource{Database: b.DB.Database(), Backup: m.Name, At: cache.now()}
	}
	return res
}

// writeRoles writes data, the server's shared roles file, as backup name's
// own: checked against its sha256 first, then through a temporary file,
// fsynced and renamed, as a dumped one is.
func writeRoles(dir, name string, data []byte, sum string) (rolesResult, error) {
	if got := sha256Hex(data); got != sum {
		return rolesResult{}, fmt.Errorf("the shared roles file changed in memory: sha256 %s, dumped as %s", got, sum)
	}
	file := name + globalsSuffix
	path := filepath.Join(dir, file)
	removeIfUnheld(path + tmpSuffix) // a killed run's
	f, err := createTemp(path + tmpSuffix)
	if err != nil {
		return rolesResult{}, err
	}
	defer f.Close()
	if _, err := bytes.NewReader(data).WriteTo(f); err != nil {
		os.Remove(path + tmpSuffix)
		return rolesResult{}, writeError(err)
	}
	if err := f.Sync(); err != nil {
		os.Remove(path + tmpSuffix)
		return rolesResult{}, writeError(err)
	}
	if err := os.Rename(path+tmpSuffix, path); err != nil {
		os.Remove(path + tmpSuffix)
		return rolesResult{}, err
	}
	return rolesResult{file: file, sha256: sum}, nil
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
