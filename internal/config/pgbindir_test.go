package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// PG_BIN_DIR takes one directory, as it always did, or several separated by
// commas or colons; each is checked, and every bad one is named.
func TestPGBinDirList(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	odd := filepath.Join(t.TempDir(), "pg,16:odd")
	if err := os.Mkdir(odd, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "pg_dump")
	if err := os.WriteFile(file, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		give    string
		want    string
		wantBad []string
	}{
		{"unset", "", "", nil},
		{"one directory", a, a, nil},
		{"one directory, a comma and a colon in its name", odd, odd, nil},
		{"comma-separated", a + "," + b, a + "," + b, nil},
		{"colon-separated", a + ":" + b, a + ":" + b, nil},
		{"spaces and a trailing comma", " " + a + " , " + b + ",", a + " , " + b + ",", nil},
		{"one missing", a + ",/nonexistent/x", "", []string{`"/nonexistent/x" is not a directory`}},
		{"a file, not a directory", b + ":" + file, "", []string{`"` + file + `" is not a directory`}},
		{"two bad", "/nope/1:/nope/2", "", []string{`"/nope/1"`, `"/nope/2"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(map[string]string{"DATABASE_URL": "postgres://u@h/db", "PG_BIN_DIR": tt.give}), parseURL)
			if len(tt.wantBad) == 0 {
				if err != nil || c.PGBinDir != tt.want {
					t.Fatalf("PG_BIN_DIR=%q: got %q, %v; want %q", tt.give, c.PGBinDir, err, tt.want)
				}
				return
			}
			var p Problems
			if !errors.As(err, &p) {
				t.Fatalf("PG_BIN_DIR=%q: want Problems, got %v", tt.give, err)
			}
			for _, w := range tt.wantBad {
				if !strings.Contains(err.Error(), "PG_BIN_DIR: ") || !strings.Contains(err.Error(), w) {
					t.Errorf("PG_BIN_DIR=%q: %q missing in:\n%v", tt.give, w, err)
				}
			}
		})
	}
}
