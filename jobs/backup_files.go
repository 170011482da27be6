package jobs

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
)

// ownName matches the files pgkeeper writes in BACKUP_DIR; nothing else is
// ever swept or deleted.
var ownName = regexp.MustCompile(`^.+-\d{8}T\d{6}Z(\.dump\.zst|\.manifest\.json|\.globals\.sql\.zst)(\.tmp)?$`)

// sweepLeftovers removes what an interrupted run left: temporary files, and
// dumps or roles files that no manifest turned into a backup. It runs under
// the heavy-job lock, so no other run is writing them.
func sweepLeftovers(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	manifests := map[string]bool{}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), manifestSuffix) {
			manifests[strings.TrimSuffix(e.Name(), manifestSuffix)] = true
		}
	}
	var swept []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !ownName.MatchString(name) {
			continue
		}
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, tmpSuffix), dumpSuffix), globalsSuffix)
		orphan := !strings.HasSuffix(name, manifestSuffix) && !manifests[base]
		if strings.HasSuffix(name, tmpSuffix) || orphan {
			if os.Remove(filepath.Join(dir, name)) == nil {
				swept = append(swept, name)
			}
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
	pruneFailed(failedDir)
	return dst
}

// pruneFailed keeps the newest keepFailed failed dumps.
func pruneFailed(failedDir string) {
	entries, err := os.ReadDir(failedDir)
	if err != nil {
		return
	}
	var bases []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), dumpSuffix) && ownName.MatchString(e.Name()) {
			bases = append(bases, strings.TrimSuffix(e.Name(), dumpSuffix))
		}
	}
	// Names end in a UTC timestamp of fixed width: sorting by it sorts by age.
	sort.Slice(bases, func(i, j int) bool { return stamp(bases[i]) > stamp(bases[j]) })
	for _, b := range bases[min(len(bases), keepFailed):] {
		os.Remove(filepath.Join(failedDir, b+dumpSuffix))
		os.Remove(filepath.Join(failedDir, b+manifestSuffix))
	}
}

func stamp(base string) string {
	if i := strings.LastIndexByte(base, '-'); i >= 0 {
		return base[i+1:]
	}
	return base
}

// deleteExpired removes the backups retention does not keep: the manifest
// first, so a crash midway never leaves a listed backup without its dump.
func deleteExpired(dir string, verdicts []Verdict) []string {
	var deleted []string
	for _, v := range verdicts {
		if v.Keep {
			continue
		}
		m := v.Backup
		if err := os.Remove(filepath.Join(dir, m.Name+manifestSuffix)); err != nil {
			continue
		}
		os.Remove(filepath.Join(dir, m.DumpFile()))
		if m.Globals != "" {
			os.Remove(filepath.Join(dir, m.Globals))
		}
		deleted = append(deleted, m.DumpFile())
	}
	return deleted
}

// dumpGlobals saves roles and tablespaces (without passwords) beside the dump
// when the connecting role may read them. Failing that is no failure of the
// backup: the note says why.
func dumpGlobals(ctx context.Context, dir, name, dbname string, tool Tool, env []string) (file, note string) {
	if tool.Path == "" {
		return "", "roles not saved: no usable pg_dumpall"
	}
	file = name + globalsSuffix
	path := filepath.Join(dir, file)
	f, err := os.OpenFile(path+tmpSuffix, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return "", "roles not saved: " + err.Error()
	}
	defer f.Close()
	cmd := pgProc(ctx, tool, env, "--globals-only", "--no-role-passwords", "-l", dbname)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", "roles not saved: " + err.Error()
	}
	stderr := newTail(1024)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		os.Remove(path + tmpSuffix)
		return "", "roles not saved: " + err.Error()
	}
	enc, _ := newEncoder(f)
	_, copyErr := io.Copy(enc, stdout)
	closeErr := enc.Close()
	waitErr := cmd.Wait()
	if waitErr != nil || copyErr != nil || closeErr != nil || f.Sync() != nil {
		os.Remove(path + tmpSuffix)
		if waitErr != nil {
			return "", "roles not saved (the role may not read them; that is fine): " + stderr.String()
		}
		return "", fmt.Sprintf("roles not saved: %v %v", copyErr, closeErr)
	}
	if err := os.Rename(path+tmpSuffix, path); err != nil {
		os.Remove(path + tmpSuffix)
		return "", "roles not saved: " + err.Error()
	}
	return file, ""
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
