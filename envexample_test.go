package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The copy command, uncommented from .env.example as an operator would,
// reaches the shell with its $PGKEEPER_BACKUP_* variables intact (unquoted,
// the .env reader would expand them to nothing before any backup exists).
func TestEnvExampleCopyCommandSurvivesTheDotenv(t *testing.T) {
	example, err := os.ReadFile(".env.example")
	if err != nil {
		t.Fatal(err)
	}
	var line string
	for _, l := range strings.Split(string(example), "\n") {
		if strings.HasPrefix(l, "#BACKUP_COPY_COMMAND=") {
			line = strings.TrimPrefix(l, "#")
		}
	}
	if line == "" {
		t.Fatal(".env.example has no BACKUP_COPY_COMMAND example")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("DATABASE_URL=postgres://u@127.0.0.1:1/x\n"+line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	a, err := setup(context.Background(), func(string) (string, bool) { return "", false }, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	if !strings.Contains(a.cfg.BackupCopy, `"$PGKEEPER_BACKUP_FILE"`) {
		t.Errorf("BACKUP_COPY_COMMAND read as %q", a.cfg.BackupCopy)
	}
}
