package jobs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// fileStem is a database's name as it appears in backup file names. Names of
// lower-case letters, digits, '_' and '-' stay as they are (so existing
// backups keep their names); every other byte becomes %XX. A stem is then a
// bare file name whatever the database is called ("../x", "My DB", "ключи"),
// and two databases never share one, even on a case-insensitive disk.
func fileStem(db string) string {
	var b strings.Builder
	for i := 0; i < len(db); i++ {
		c := db[i]
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// databaseOfStem reads fileStem's encoding back.
func databaseOfStem(stem string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(stem); i++ {
		if stem[i] != '%' {
			b.WriteByte(stem[i])
			continue
		}
		var c byte
		if i+2 >= len(stem) {
			return "", fmt.Errorf("%q: %% at the end", stem)
		}
		if _, err := fmt.Sscanf(stem[i+1:i+3], "%02X", &c); err != nil {
			return "", fmt.Errorf("%q: bad escape %q", stem, stem[i:i+3])
		}
		b.WriteByte(c)
		i += 2
	}
	return b.String(), nil
}

// backupName is the base name of a backup of db started at t.
func backupName(db string, t time.Time) string {
	return fileStem(db) + "-" + t.UTC().Format(nameTimeLayout)
}

// freeName is backupName for a backup started at start, a second later for
// each second already taken: a backup started within the same second as
// another must not be renamed over it.
func freeName(dir, db string, start time.Time) string {
	for i := 0; ; i++ {
		name := backupName(db, start.Add(time.Duration(i)*time.Second))
		taken := false
		for _, suffix := range []string{dumpSuffix, manifestSuffix, globalsSuffix} {
			if _, err := os.Lstat(filepath.Join(dir, name+suffix)); err == nil {
				taken = true
			}
		}
		if !taken {
			return name
		}
	}
}

// ownFiles matches the names of one database's backup files: its stem, the
// start time, one of the suffixes pgkeeper writes, and optionally .tmp.
type ownFiles struct {
	re *regexp.Regexp
}

func ownFilesOf(db string) ownFiles {
	return ownFiles{regexp.MustCompile(`^(` + regexp.QuoteMeta(fileStem(db)) +
		`-\d{8}T\d{6}Z)(\.dump\.zst|\.manifest\.json|\.globals\.sql\.zst)(\.tmp)?$`)}
}

// parse splits a file name into its backup's base name, its suffix and
// whether it is a temporary file; ok is false for anything that is not one
// of this database's backup files.
func (o ownFiles) parse(name string) (base, suffix string, tmp, ok bool) {
	m := o.re.FindStringSubmatch(name)
	if m == nil {
		return "", "", false, false
	}
	return m[1], m[2], m[3] != "", true
}

// isBackupFile reports whether name is one of this database's finished
// backup files (no .tmp): the only names retention may delete.
func (o ownFiles) isBackupFile(name string) bool {
	_, _, tmp, ok := o.parse(name)
	return ok && !tmp
}

// startReason says why a manifest's start time cannot be its backup's, whose
// name carries the UTC second it started (a second or more later when that
// one was taken): a manifest that claims another time could pass for the
// newest backup and push real ones out of retention. "" when it fits.
func startReason(base string, start time.Time) string {
	if len(base) < len(nameTimeLayout) {
		return "has a name without its start time"
	}
	named, err := time.Parse(nameTimeLayout, base[len(base)-len(nameTimeLayout):])
	if err != nil {
		return "has a name without its start time"
	}
	if d := named.Sub(start); d <= -time.Second || d > time.Minute {
		return fmt.Sprintf("has a manifest whose start (%s) is not the time in its name", start.UTC().Format(time.RFC3339))
	}
	return ""
}
