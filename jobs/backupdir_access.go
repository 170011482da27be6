package jobs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// BackupDirAccess says what users other than pgkeeper's may do in dir, with
// the command that stops it; empty when they may do nothing (0700), or when
// dir does not exist yet (pgkeeper creates it 0700). Backups hold the whole
// database and its roles' password hashes: a directory created by hand, or by
// an older pgkeeper, with the usual 0755 lets every local user list them.
func BackupDirAccess(dir string) string {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return ""
	}
	perm := st.Mode().Perm()
	if perm&0o077 == 0 {
		return ""
	}
	var can []string
	if perm&0o044 != 0 {
		can = append(can, "list the backups")
	}
	if perm&0o022 != 0 {
		can = append(can, "add or delete files in it")
	}
	if len(can) == 0 {
		can = append(can, "open backups whose names they know")
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return fmt.Sprintf("backup directory %s is mode %#o: other users can %s; run chmod 700 %s",
		dir, perm, strings.Join(can, " and "), shellWord(dir))
}

var plainWord = regexp.MustCompile(`^[A-Za-z0-9_./:@%+=,-]+$`)

// shellWord quotes s for a shell command line an operator copies.
func shellWord(s string) string {
	if plainWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
