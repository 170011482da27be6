package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/pgversion"
	"github.com/pgkeeper/pgkeeper/jobs"
)

var clientTools = []string{"pg_dump", "pg_restore", "pg_dumpall"}

// fakeBin makes dir holding pg_dump, pg_restore and pg_dumpall scripts that
// answer --version as PostgreSQL major.1 does.
func fakeBin(t *testing.T, dir string, major int) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range clientTools {
		script := fmt.Sprintf("#!/bin/sh\necho '%s (PostgreSQL) %d.1'\n", name, major)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// majorsAt lays out one fake bin directory per major, the Debian way
// (root/N/bin), and returns them in the order given.
func majorsAt(t *testing.T, root string, majors []int) []string {
	var dirs []string
	for _, m := range majors {
		dirs = append(dirs, fakeBin(t, filepath.Join(root, strconv.Itoa(m), "bin"), m))
	}
	return dirs
}

func server(major int) jobs.Need {
	return jobs.Need{Version: pgversion.Version{Major: major, Minor: 4}, Server: fmt.Sprintf("wa%d on db%d:5432", major, major)}
}

// Each server gets the lowest installed major that can handle it, whether
// the majors come from PG_BIN_DIR or from the installed packages' root.
func TestPickToolPerServer(t *testing.T) {
	tests := []struct {
		name      string
		installed []int
		server    int
		want      int      // the major picked; 0 when refused
		wantErr   []string // in the refusal
	}{
		{"14 among 13 15 17 18 gets 15", []int{13, 15, 17, 18}, 14, 15, nil},
		{"15 among 13 15 17 18 gets 15", []int{13, 15, 17, 18}, 15, 15, nil},
		{"16 among 13 15 17 18 gets 17", []int{13, 15, 17, 18}, 16, 17, nil},
		{"18 among 13 15 17 18 gets 18", []int{13, 15, 17, 18}, 18, 18, nil},
		{"15 beside 18 gets 15", []int{15, 18}, 15, 15, nil},
		{"18 beside 15 gets 18", []int{15, 18}, 18, 18, nil},
		{"listed newest first: 15 still gets 15", []int{18, 17, 15}, 15, 15, nil},
		{"14 with only 17 gets 17", []int{17}, 14, 17, nil},
		{"18 with only 15 is refused", []int{15}, 18, 0,
			[]string{"cannot handle server 18.4 (wa18 on db18:5432)", "install postgresql-client-18, or add its bin directory to PG_BIN_DIR",
				"found: 15 (", "/15/bin)"}},
		{"16 with 13 and 15 is refused", []int{13, 15}, 16, 0,
			[]string{"15.1 cannot handle server 16.4", "install postgresql-client-16", "found: 13 (", "/13/bin), 15 (", "/15/bin)"}},
	}
	for _, tt := range tests {
		for _, via := range []string{"PG_BIN_DIR", "root"} {
			t.Run(tt.name+" via "+via, func(t *testing.T) {
				root := t.TempDir()
				dirs := majorsAt(t, root, tt.installed)
				box := jobs.Toolbox{Root: root}
				if via == "PG_BIN_DIR" {
					box = jobs.NewToolbox(strings.Join(dirs, ","))
				}
				for _, name := range clientTools {
					got, err := jobs.PickTool(context.Background(), box, name, server(tt.server))
					if tt.want == 0 {
						if !errors.Is(err, jobs.ErrToolTooOld) {
							t.Fatalf("%s for server %d: want a refusal, got %s %v, %v", name, tt.server, got.Path, got.Version, err)
						}
						for _, w := range append([]string{name + " "}, tt.wantErr...) {
							if !strings.Contains(err.Error(), w) {
								t.Errorf("%s: %q missing in %q", name, w, err)
							}
						}
						continue
					}
					wantPath := filepath.Join(root, strconv.Itoa(tt.want), "bin", name)
					if err != nil || got.Path != wantPath || got.Version.Major != tt.want || got.Name != name {
						t.Errorf("%s for server %d: got %+v, %v; want %s", name, tt.server, got, err, wantPath)
					}
				}
			})
		}
	}
}

// PG_BIN_DIR, when set, is the only place looked in, in its order; without
// it, the installed majors; without those, PATH.
func TestPickToolWhereItLooks(t *testing.T) {
	ctx := context.Background()
	root, other, onPath := t.TempDir(), t.TempDir(), t.TempDir()
	majorsAt(t, root, []int{15, 18})
	first := fakeBin(t, filepath.Join(other, "a"), 15)
	second := fakeBin(t, filepath.Join(other, "b"), 15)
	odd := fakeBin(t, filepath.Join(other, "pg,16:odd"), 16)
	fakeBin(t, onPath, 17)
	t.Setenv("PATH", onPath)
	broken := filepath.Join(other, "broken")
	if err := os.MkdirAll(broken, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(broken, "pg_dump"), []byte("#!/bin/sh\necho boom >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		box      jobs.Toolbox
		server   jobs.Need
		wantPath string
		wantErr  []string
		wantIs   error
	}{
		{"PG_BIN_DIR overrides the installed majors", jobs.Toolbox{Dirs: []string{onPath}, Root: root}, server(15), filepath.Join(onPath, "pg_dump"), nil, nil},
		{"one major twice: the first listed", jobs.NewToolbox(second + ":" + first), server(15), filepath.Join(second, "pg_dump"), nil, nil},
		{"one directory, a comma and a colon in its name", jobs.NewToolbox(odd), server(16), filepath.Join(odd, "pg_dump"), nil, nil},
		{"a broken copy is passed over", jobs.NewToolbox(broken + "," + first), server(14), filepath.Join(first, "pg_dump"), nil, nil},
		{"only a broken copy", jobs.NewToolbox(broken), server(14), "", []string{filepath.Join(broken, "pg_dump") + " --version", "install postgresql-client-14"}, nil},
		{"too old, and a broken copy", jobs.NewToolbox(first + "," + broken), server(16), "",
			[]string{"pg_dump 15.1 cannot handle server 16.4 (wa16 on db16:5432)", "found: 15 (" + first + ")", "broken/pg_dump --version"}, jobs.ErrToolTooOld},
		{"PG_BIN_DIR without the tool", jobs.NewToolbox(t.TempDir() + "," + t.TempDir()), server(15), "",
			[]string{"pg_dump in PG_BIN_DIR ", ", ", ": not found for server 15.4 (wa15 on db15:5432): install postgresql-client-15, or add its bin directory to PG_BIN_DIR"}, jobs.ErrToolNotFound},
		{"installed majors before PATH", jobs.Toolbox{Root: root}, server(16), filepath.Join(root, "18", "bin", "pg_dump"), nil, nil},
		{"PATH when nothing is installed", jobs.Toolbox{Root: t.TempDir()}, server(16), filepath.Join(onPath, "pg_dump"), nil, nil},
		{"nowhere", jobs.Toolbox{Root: t.TempDir()}, jobs.Need{}, "", []string{"pg_dump in ", "/*/bin or on PATH: not found: install postgresql-client, or add"}, jobs.ErrToolNotFound},
		{"unknown server version: the newest", jobs.Toolbox{Root: root}, jobs.Need{}, filepath.Join(root, "18", "bin", "pg_dump"), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "nowhere" {
				t.Setenv("PATH", t.TempDir())
			}
			got, err := jobs.PickTool(ctx, tt.box, "pg_dump", tt.server)
			if tt.wantPath != "" {
				if err != nil || got.Path != tt.wantPath {
					t.Fatalf("got %+v, %v; want %s", got, err, tt.wantPath)
				}
				return
			}
			if err == nil {
				t.Fatalf("want a refusal, got %+v", got)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("%v is not %v", err, tt.wantIs)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q missing in %q", w, err)
				}
			}
		})
	}
}

// A tool replaced at the same path (a package upgrade) is asked its version
// again, not answered from the cache.
func TestPickToolSeesAnUpgrade(t *testing.T) {
	dir := fakeBin(t, t.TempDir(), 15)
	box := jobs.NewToolbox(dir)
	if _, err := jobs.PickTool(context.Background(), box, "pg_dump", server(17)); !errors.Is(err, jobs.ErrToolTooOld) {
		t.Fatalf("pg_dump 15 for server 17: %v", err)
	}
	fakeBin(t, dir, 17)
	got, err := jobs.PickTool(context.Background(), box, "pg_dump", server(17))
	if err != nil || got.Version.Major != 17 {
		t.Fatalf("after the upgrade: %+v, %v", got, err)
	}
}

func TestSplitBinDirs(t *testing.T) {
	tests := []struct {
		give string
		want []string
	}{
		{"", nil},
		{"/usr/lib/postgresql/18/bin", []string{"/usr/lib/postgresql/18/bin"}},
		{"/a,/b", []string{"/a", "/b"}},
		{"/a:/b", []string{"/a", "/b"}},
		{" /a , /b:/c,, /a ", []string{"/a", "/b", "/c"}},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			if got := jobs.SplitBinDirs(tt.give); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("SplitBinDirs(%q) = %q, want %q", tt.give, got, tt.want)
			}
		})
	}
}
