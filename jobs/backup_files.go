package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
)

// sweepLeftovers removes the temporary files of this database's runs that
// died: those no live run holds (createTemp). Everything else is left, the
// other databases' and servers' files in a shared BACKUP_DIR above all; a
// dump without its manifest is listed as broken, never deleted unasked.
func sweepLeftovers(dir, db string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	own := ownFilesOf(db)
	var swept []string
	for _, e := range entries {
		if _, _, tmp, ok := own.parse(e.Name()); ok && tmp && removeIfUnheld(filepath.Join(dir, e.Name())) {
			swept = append(swept, e.Name())
		}
	}
	return swept
}

// keepFailedDump moves a failed dump under BACKUP_DIR/failed/ with a manifest
// saying why, keeping the newest three, so someone can look; it is never
// listed as a backup. It returns where the dump went, or "" when it was
// deleted (nothing written, or no room).
func keepFailedDump(dir, tmpPath string, m Manifest, checks []VerifyCheck) string {
	st, err := os.Stat(tmpPath)
	if err != nil || st.Size() == 0 {
		os.Remove(tmpPath)
		return ""
	}
	failedDir := filepath.Join(dir, "failed")
	if err := os.MkdirAll(failedDir, 0o700); err != nil {
		os.Remove(tmpPath)
		return ""
	}
	dst := filepath.Join(failedDir, m.DumpFile())
	if err := os.Rename(tmpPath, dst); err != nil {
		os.Remove(tmpPath)
		return ""
	}
	m.Verified, m.Checks = false, checks
	if err := writeJSONAtomic(filepath.Join(failedDir, m.Name+manifestSuffix), m); err != nil {
		os.Remove(dst)
		return ""
	}
	pruneFailed(failedDir, Origin{SystemID: m.SystemID, Database: m.Database})
	return dst
}

// pruneFailed keeps the newest keepFailed failed dumps of o. Only files
// named for o's database whose manifest says it came from o count; anyone
// else's are left alone.
func pruneFailed(failedDir string, o Origin) {
	entries, err := os.ReadDir(failedDir)
	if err != nil {
		return
	}
	own := ownFilesOf(o.Database)
	var bases []string
	for _, e := range entries {
		base, suffix, tmp, ok := own.parse(e.Name())
		if !ok || tmp || suffix != manifestSuffix || !e.Type().IsRegular() {
			continue
		}
		if m, err := readManifest(filepath.Join(failedDir, e.Name())); err == nil && m.Name == base && o.owns(m) {
			bases = append(bases, base)
		}
	}
	// Names end in a UTC timestamp of fixed width: sorting by it sorts by age.
	sort.Sort(sort.Reverse(sort.StringSlice(bases)))
	for _, b := range bases[min(len(bases), keepFailed):] {
		os.Remove(filepath.Join(failedDir, b+dumpSuffix))
		os.Remove(filepath.Join(failedDir, b+manifestSuffix))
	}
}

// deleteExpired removes the backups retention does not keep: the manifest
// first, so a crash midway never leaves a listed backup without its dump.
// Verdicts come from a Listing, whose manifests were checked to name their
// own files; the names are checked again here, as the last word before a
// deletion.
func deleteExpired(dir, db string, verdicts []Verdict) []string {
	own := ownFilesOf(db)
	var deleted []string
	for _, v := range verdicts {
		m := v.Backup
		if v.Keep || !own.isBackupFile(m.Name+manifestSuffix) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, m.Name+manifestSuffix)); err != nil {
			continue
		}
		os.Remove(filepath.Join(dir, m.Name+dumpSuffix))
		os.Remove(filepath.Join(dir, m.Name+globalsSuffix))
		deleted = append(deleted, m.DumpFile())
	}
	return deleted
}

// dumpGlobals saves roles and tablespaces (without passwords) beside the dump
// when the connecting role may read them, hashing them as they are written.
// Failing that is no failure of the backup: the note says why.
func dumpGlobals(ctx context.Context, dir, name, dbname string, tool Tool, env []string) rolesResult {
	fail := func(note string) rolesResult { return rolesResult{note: note} }
	if tool.Path == "" {
		return fail("roles not saved: no usable pg_dumpall")
	}
	file := name + globalsSuffix
	path := filepath.Join(dir, file)
	removeIfUnheld(path + tmpSuffix) // a killed run's
	f, err := createTemp(path + tmpSuffix)
	if err != nil {
		return fail("roles not saved: " + err.Error())
	}
	defer f.Close()
	cmd := pgProc(ctx, tool, env, "--globals-only", "--no-role-passwords", "-l", dbname)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fail("roles not saved: " + err.Error())
	}
	stderr := newTail(1024)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		os.Remove(path + tmpSuffix)
		return fail("roles not saved: " + err.Error())
	}
	h := sha256.New()
	enc, _ := newEncoder(io.MultiWriter(f, h))
	_, copyErr := io.Copy(enc, stdout)
	closeErr := enc.Close()
	waitErr := cmd.Wait()
	if waitErr != nil || copyErr != nil || closeErr != nil || f.Sync() != nil {
		os.Remove(path + tmpSuffix)
		if waitErr != nil {
			return fail("roles not saved (the role may not read them; that is fine): " + stderr.String())
		}
		return fail(fmt.Sprintf("roles not saved: %v %v", copyErr, closeErr))
	}
	if err := os.Rename(path+tmpSuffix, path); err != nil {
		os.Remove(path + tmpSuffix)
		return fail("roles not saved: " + err.Error())
	}
	return rolesResult{file: file, sha256: hex.EncodeToString(h.Sum(nil))}
}

// compareWithPrevious warns when a table's rows or the dump's size fell by
// more than drop since the previous verified backup: a mass deletion in
// production shows up here first.
func compareWithPrevious(cur, prev Manifest, drop float64) []Finding {
	if drop <= 0 {
		return nil
	}
	var out []Finding
	before := map[string]int64{}
	for _, t := range prev.Tables {
		before[t.Table] = t.Rows
	}
	for _, t := range cur.Tables {
		old, ok := before[t.Table]
		if ok && old > 0 && float64(t.Rows) < float64(old)*(1-drop) {
			out = append(out, Finding{Level: LevelWarn, Text: fmt.Sprintf("%s fell from %s to %s rows (-%s) since the previous backup",
				t.Table, humanize.Int(old), humanize.Int(t.Rows), humanize.Percent(1-float64(t.Rows)/float64(old)))})
		}
	}
	if prev.CompressedBytes > 0 && float64(cur.CompressedBytes) < float64(prev.CompressedBytes)*(1-drop) {
		out = append(out, Finding{Level: LevelWarn, Text: fmt.Sprintf("dump size fell from %s to %s since the previous backup",
			humanize.Bytes(prev.CompressedBytes), humanize.Bytes(cur.CompressedBytes))})
	}
	return out
}
