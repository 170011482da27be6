package jobs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pgkeeper/pgkeeper/internal/pgversion"
	"github.com/pgkeeper/pgkeeper/store"
)

// CheckResult is one line of `pgkeeper check`.
type CheckResult struct {
	Name   string
	OK     bool
	Detail string
}

// Probe is an extra check the caller supplies (the Telegram API, say), so that
// this package stays ignorant of what it probes.
type Probe struct {
	Name string
	Run  func(ctx context.Context) (detail string, err error)
}

// Check verifies that pgkeeper can do its work: the database answers, the
// client tools can handle its server, and the backup directory is writable.
type Check struct {
	DB        *store.DB
	PGBinDir  string
	BackupDir string
	Probes    []Probe
}

// Run performs every check, even after one fails, so all problems show at once.
func (c *Check) Run(ctx context.Context) []CheckResult {
	var out []CheckResult
	add := func(name string, err error, detail string) {
		if err != nil {
			out = append(out, CheckResult{Name: name, Detail: err.Error()})
			return
		}
		out = append(out, CheckResult{Name: name, OK: true, Detail: detail})
	}

	dbctx, cancel := context.WithTimeout(ctx, statusDeadline)
	defer cancel()
	var server pgversion.Version
	num, text, err := c.DB.ServerVersion(dbctx)
	if err == nil {
		server = pgversion.FromNum(num)
	}
	add("database", err, fmt.Sprintf("%s at %s, PostgreSQL %s", c.DB.Database(), c.DB.Host(), text))

	for _, name := range []string{"pg_dump", "pg_restore"} {
		t, err := FindTool(ctx, c.PGBinDir, name)
		switch {
		case err != nil:
		case !server.Valid():
			err = fmt.Errorf("%s %s found, but the server's version is unknown", name, t.Version)
		default:
			if p := CompatibilityProblem(t, server); p != "" {
				err = fmt.Errorf("%s", p)
			}
		}
		add(name, err, fmt.Sprintf("%s %s handles server %s (%s)", name, t.Version, server, t.Path))
	}

	add("backup dir", writable(c.BackupDir), c.BackupDir+" is writable")

	for _, p := range c.Probes {
		detail, err := p.Run(ctx)
		add(p.Name, err, detail)
	}
	return out
}

// writable creates dir when missing (0700: backups hold credentials) and
// proves a file can be written there.
func writable(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".pgkeeper-check-*")
	if err != nil {
		return fmt.Errorf("write in %s: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("remove %s: %w", filepath.Base(name), err)
	}
	return nil
}
