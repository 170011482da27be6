package pgtest

import (
	"os"
	"path/filepath"
	"testing"
)

// ToolsDir is a PG_BIN_DIR whose client tools are the real ones of BinDir,
// except those in replace: a name mapped to a shell script (without its #!
// line) becomes that script; mapped to "", it is missing.
func ToolsDir(t *testing.T, replace map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"pg_dump", "pg_restore", "pg_dumpall", "psql"} {
		path := filepath.Join(dir, name)
		script, ok := replace[name]
		switch {
		case ok && script == "":
		case ok:
			if err := os.WriteFile(path, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
				t.Fatal(err)
			}
		default:
			if err := os.Symlink(filepath.Join(BinDir(t), name), path); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}
