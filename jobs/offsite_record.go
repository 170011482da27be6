package jobs

import (
	"path/filepath"
	"slices"
	"sync"
)

// localRecords keeps each local manifest's Remotes records up to date while
// several remotes are copied to at once: one read-modify-write at a time,
// each an atomic rewrite of the manifest.
type localRecords struct {
	dir   string
	order []string // the configured remotes' names: records are kept in this order
	mu    sync.Mutex
}

// record replaces backup name's record of c.Remote by c.
func (l *localRecords) record(name string, c RemoteCopy) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	m, err := readManifest(filepath.Join(l.dir, name+manifestSuffix))
	if err != nil {
		return err
	}
	m.Remotes = withCopy(m.Remotes, c, l.order)
	return SaveManifest(l.dir, m)
}

// withCopy is cs with c in place of the same remote's record, in the
// configured order; records of remotes no longer configured stay at the end.
func withCopy(cs []RemoteCopy, c RemoteCopy, order []string) []RemoteCopy {
	out := []RemoteCopy{c}
	for _, x := range cs {
		if x.Remote != c.Remote {
			out = append(out, x)
		}
	}
	rank := func(name string) int {
		if i := slices.Index(order, name); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(out, func(a, b RemoteCopy) int { return rank(a.Remote) - rank(b.Remote) })
	return out
}
