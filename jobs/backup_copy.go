package jobs

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// copyTimeout bounds BACKUP_COPY_COMMAND: an upload that hangs must not hold
// the heavy-job lock, and so every other backup, for ever.
const copyTimeout = time.Hour

// CopyOutcome is what BACKUP_COPY_COMMAND did with a backup.
type CopyOutcome struct {
	At       time.Time     `json:"at"`
	OK       bool          `json:"ok"`
	Duration time.Duration `json:"duration_ns"`
	// Detail is the end of what the command printed: why it failed, or what
	// it said it did.
	Detail string `json:"detail,omitempty"`
}

// copyOff hands a saved backup to the operators' copy command, so that a copy
// lives off this machine: one disk or one host lost must not take the data
// and its backups together. The command runs with /bin/sh -c in BACKUP_DIR,
// in its own process group (a cancel reaches the upload it started), with
// the backup's files in PGKEEPER_BACKUP_* variables and without pgkeeper's
// secrets in its environment.
func (b *Backup) copyOff(ctx context.Context, m Manifest) CopyOutcome {
	start := b.now()
	ctx, cancel := context.WithTimeout(ctx, copyTimeout)
	defer cancel()
	cmd := ownGroup(exec.CommandContext(ctx, "/bin/sh", "-c", b.Config.CopyCommand))
	cmd.Dir = b.Config.Dir
	cmd.Env = copyEnv(b.Config.CopyHide, b.Config.Dir, m)
	out := newTail(1024)
	cmd.Stdout, cmd.Stderr = out, out
	err := cmd.Run()
	o := CopyOutcome{At: start, Duration: b.now().Sub(start), OK: err == nil, Detail: out.String()}
	switch {
	case err == nil:
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		o.Detail = fmt.Sprintf("stopped after %s: %s", copyTimeout, o.Detail)
	case o.Detail == "":
		o.Detail = err.Error()
	default:
		o.Detail = err.Error() + ": " + o.Detail
	}
	return o
}

// copyEnv is the copy command's environment: the process's own (cloud
// credentials live there), without libpq's variables and the ones named in
// hide, plus where the backup is.
func copyEnv(hide []string, dir string, m Manifest) []string {
	var env []string
	for _, kv := range baseEnv() {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(hide, name) {
			env = append(env, kv)
		}
	}
	abs := func(name string) string {
		if name == "" {
			return ""
		}
		p := filepath.Join(dir, name)
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	return append(env,
		"PGKEEPER_BACKUP_NAME="+m.Name,
		"PGKEEPER_BACKUP_DIR="+abs("."),
		"PGKEEPER_BACKUP_FILE="+abs(m.DumpFile()),
		"PGKEEPER_BACKUP_MANIFEST="+abs(m.Name+manifestSuffix),
		"PGKEEPER_BACKUP_GLOBALS="+abs(m.Globals),
	)
}

// recordCopy runs the copy command, records its outcome in the report and
// the manifest, and warns when it failed: the backup itself is verified and
// kept here either way.
func (b *Backup) recordCopy(ctx context.Context, r *BackupReport) {
	o := b.copyOff(ctx, r.Manifest)
	r.Copy = &o
	r.Manifest.Copy = &o
	if err := SaveManifest(b.Config.Dir, r.Manifest); err != nil {
		r.Warnings = append(r.Warnings, Finding{Level: LevelWarn, Text: "record the copy in the manifest: " + oneLine(err.Error())})
	}
	if err := r.CopyError(); err != nil {
		r.Warnings = append(r.Warnings, Finding{Level: LevelWarn, Text: err.Error() +
			". The backup is verified and kept here, but has no copy off this machine: fix the command, or copy " +
			r.Manifest.DumpFile() + " by hand"})
	}
}

// CopyError is the copy command's failure, nil when it succeeded or none
// ran: what the report, the shell and Sentry say of it.
func (r BackupReport) CopyError() error {
	if r.Copy == nil || r.Copy.OK {
		return nil
	}
	return fmt.Errorf("BACKUP_COPY_COMMAND failed: %s", r.Copy.Detail)
}
