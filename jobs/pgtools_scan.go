package jobs

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/pgversion"
)

// DefaultPGRoot is where Debian, Ubuntu and the PGDG packages install each
// PostgreSQL major, as N/bin.
const DefaultPGRoot = "/usr/lib/postgresql"

// versionTimeout bounds a tool's --version: a hung binary must not hang a
// backup's preflight or /status.
const versionTimeout = 5 * time.Second

// Toolbox is where PostgreSQL client binaries are looked for: PG_BIN_DIR's
// entries when set, and only there, so the operator's choice is never
// silently overridden; else every Root/N/bin; else PATH.
type Toolbox struct {
	// Dirs are PG_BIN_DIR's entries, in its order.
	Dirs []string
	// Root holds one N/bin directory per installed major; DefaultPGRoot
	// unless a test points it elsewhere.
	Root string
}

// NewToolbox is the Toolbox of a PG_BIN_DIR value: one directory, or several
// separated by commas or colons; empty looks in DefaultPGRoot, then PATH. A
// value that is itself a directory is that one directory, as it always was,
// commas and colons in its name included.
func NewToolbox(pgBinDir string) Toolbox {
	if st, err := os.Stat(pgBinDir); err == nil && st.IsDir() {
		return Toolbox{Dirs: []string{pgBinDir}, Root: DefaultPGRoot}
	}
	return Toolbox{Dirs: SplitBinDirs(pgBinDir), Root: DefaultPGRoot}
}

// SplitBinDirs splits a PG_BIN_DIR value on commas and colons, dropping
// blanks and repeats.
func SplitBinDirs(v string) []string {
	var out []string
	for _, d := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ':' }) {
		if d = strings.TrimSpace(d); d != "" && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// candidates lists every copy of name where box looks, and says where that
// was, for a refusal. Installed majors are listed fresh at each call, so a
// client package installed while pgkeeper runs is seen at the next pick.
func (b Toolbox) candidates(name string) (where string, paths []string) {
	if len(b.Dirs) > 0 {
		for _, d := range b.Dirs {
			if p := filepath.Join(d, name); isExecutable(p) {
				paths = append(paths, p)
			}
		}
		return "in PG_BIN_DIR " + strings.Join(b.Dirs, ", "), paths
	}
	if b.Root != "" {
		entries, _ := os.ReadDir(b.Root)
		for _, e := range entries {
			if p := filepath.Join(b.Root, e.Name(), "bin", name); isExecutable(p) {
				paths = append(paths, p)
			}
		}
		// Numeric order, so that copies of one major (oddly named
		// directories) go lowest directory first, the same on every run.
		sort.SliceStable(paths, func(i, j int) bool { return majorOfDir(paths[i]) < majorOfDir(paths[j]) })
	}
	where = "on PATH"
	if b.Root != "" {
		where = fmt.Sprintf("in %s/*/bin or on PATH", b.Root)
	}
	if len(paths) == 0 {
		if p, err := exec.LookPath(name); err == nil {
			paths = append(paths, p)
		}
	}
	return where, paths
}

// majorOfDir reads N from Root/N/bin/name; 0 when N is not a number.
func majorOfDir(path string) float64 {
	v, err := pgversion.Parse(filepath.Base(filepath.Dir(filepath.Dir(path))))
	if err != nil {
		return 0
	}
	return float64(v.Major) + float64(v.Minor)/100
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// versionKey identifies one build of a binary: a package upgrade, or a test
// writing another script at the same path, changes it.
type versionKey struct {
	path string
	size int64
	mod  time.Time
	ino  uint64
}

// versions caches --version answers for the life of the process; only
// answers are cached, never failures.
var versions sync.Map // versionKey → pgversion.Version

// toolVersion runs path --version once per build of the binary.
func toolVersion(ctx context.Context, path string) (pgversion.Version, error) {
	key, ok := keyOf(path)
	if ok {
		if v, hit := versions.Load(key); hit {
			return v.(pgversion.Version), nil
		}
	}
	ctx, cancel := context.WithTimeout(ctx, versionTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return pgversion.Version{}, fmt.Errorf("%s --version: %w", path, err)
	}
	v, err := pgversion.Parse(strings.TrimSpace(string(out)))
	if err != nil {
		return pgversion.Version{}, fmt.Errorf("%s --version: %w", path, err)
	}
	if ok {
		versions.Store(key, v)
	}
	return v, nil
}

func keyOf(path string) (versionKey, bool) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return versionKey{}, false
	}
	st, err := os.Stat(real)
	if err != nil {
		return versionKey{}, false
	}
	k := versionKey{path: real, size: st.Size(), mod: st.ModTime()}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		k.ino = sys.Ino
	}
	return k, true
}
