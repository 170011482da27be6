package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/pgversion"
)

// pg_restore must read the archive's format, which follows the pg_dump that
// wrote it: a backup of a 15 server by pg_dump 17 (a PATH that led to the
// newest) gets pg_restore 17 when installed, and today's pick otherwise.
func TestPickRestoreReadsThePgDumpsFormat(t *testing.T) {
	tests := []struct {
		name      string
		installed []int
		server    int
		dump      int // 0: unknown (an old manifest)
		want      int // 0: refused
	}{
		{"same major", []int{15, 17}, 15, 15, 15},
		{"a newer pg_dump's archive", []int{15, 17, 18}, 15, 17, 17},
		{"newer pg_dump's major not installed: the server's", []int{15}, 15, 17, 15},
		{"pg_dump unknown", []int{15, 17}, 15, 0, 15},
		{"nothing for the server", []int{15}, 16, 17, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for _, m := range tt.installed {
				dir := filepath.Join(root, strconv.Itoa(m), "bin")
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				script := fmt.Sprintf("#!/bin/sh\necho 'pg_restore (PostgreSQL) %d.2'\n", m)
				if err := os.WriteFile(filepath.Join(dir, "pg_restore"), []byte(script), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			need := Need{Version: pgversion.Version{Major: tt.server, Minor: 3}, Server: "wa on db:5432"}
			got, err := pickRestore(context.Background(), Toolbox{Root: root}, need, pgversion.Version{Major: tt.dump, Minor: 1})
			if tt.want == 0 {
				if !errors.Is(err, ErrToolTooOld) {
					t.Fatalf("want a refusal, got %+v, %v", got, err)
				}
				return
			}
			if err != nil || got.Version.Major != tt.want {
				t.Fatalf("got %+v, %v; want pg_restore %d", got, err, tt.want)
			}
		})
	}
}
