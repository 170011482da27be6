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
	// Warn marks a check that passed with something to fix: it does not
	// fail `pgkeeper check`, and Detail says what to do.
	Warn bool
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
	// Schema, when set, is pgkeeper's own schema, which serve prepares.
	Schema string
	// Restore, when set, is the restore test whose target server is checked.
	Restore *RestoreTest
	// Remotes are probed the way a backup uses them; Recipients are the age
	// public keys copies are encrypted to, checked against each remote's
	// identity file.
	Remotes    []RemoteSpec
	Recipients []string
	Probes     []Probe
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

	box, need := NewToolbox(c.PGBinDir), Need{Version: server, Server: c.DB.Database() + " on " + c.DB.Host()}
	for _, name := range []string{"pg_dump", "pg_restore"} {
		t, err := PickTool(ctx, box, name, need)
		if err == nil && !server.Valid() {
			err = fmt.Errorf("%s %s found, but the server's version is unknown", name, t.Version)
		}
		add(name, err, fmt.Sprintf("%s %s handles server %s (%s)", name, t.Version, server, t.Path))
	}

	add("backup dir", writable(c.BackupDir), c.BackupDir+" is writable")
	out = append(out, c.backupDirAccess()...)

	if c.Schema != "" {
		detail, err := c.schema(dbctx)
		add("schema", err, detail)
	}
	if c.Restore != nil {
		detail, err := c.Restore.CheckTarget(ctx)
		add("restore", err, detail)
		if err == nil {
			out = append(out, c.leftovers(ctx)...)
		}
	}

	out = append(out, CheckRemotes(ctx, c.Remotes, c.Recipients)...)
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

// backupDirAccess is a warning when users other than pgkeeper's may list
// the backups (or more), with the chmod that stops it.
func (c *Check) backupDirAccess() []CheckResult {
	if w := BackupDirAccess(c.BackupDir); w != "" {
		return []CheckResult{{Name: "backup dir", OK: true, Warn: true, Detail: w}}
	}
	return nil
}

// schema says whether serve can prepare pgkeeper's schema: a role that may
// not is found here, not at 3 a.m. when the history is missing.
func (c *Check) schema(ctx context.Context) (string, error) {
	exists, ok, role, err := c.DB.SchemaState(ctx, c.Schema)
	switch {
	case err != nil:
		return "", err
	case exists && ok:
		return fmt.Sprintf("schema %s is there and role %s may write to it", c.Schema, role), nil
	case ok:
		return fmt.Sprintf("schema %s will be created at the first start (role %s may)", c.Schema, role), nil
	case exists:
		return "", fmt.Errorf("role %s may not use schema %s: as an admin, GRANT USAGE, CREATE ON SCHEMA %s TO %s",
			role, c.Schema, c.Schema, role)
	default:
		return "", fmt.Errorf("role %s may not create schema %s: as an admin, run CREATE SCHEMA %s AUTHORIZATION %s once",
			role, c.Schema, c.Schema, role)
	}
}

// leftovers is a warning for each database a stopped restore test or
// recovery left, or one line saying there is none.
func (c *Check) leftovers(ctx context.Context) []CheckResult {
	found, err := c.Restore.Leftovers(ctx)
	if err != nil {
		return []CheckResult{{Name: "leftovers", OK: true, Warn: true,
			Detail: "cannot look for databases stopped restores left: " + err.Error()}}
	}
	if len(found) == 0 {
		return []CheckResult{{Name: "leftovers", OK: true, Detail: "no database left by a stopped restore test or recovery"}}
	}
	var out []CheckResult
	now := c.Restore.now()
	for _, l := range found {
		out = append(out, CheckResult{Name: "leftovers", OK: true, Warn: true, Detail: l.Describe(now)})
	}
	return out
}
