package scratchpg

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// FindBinDir returns the first directory holding all of need, trying first
// (in order), PATH (symlinks resolved, so Debian's pg_wrapper is skipped),
// then the newest /usr/lib/postgresql/<major>/bin.
func FindBinDir(need []string, first ...string) (string, error) {
	dirs := append([]string(nil), first...)
	for _, n := range need {
		if p, err := exec.LookPath(n); err == nil {
			if r, err := filepath.EvalSymlinks(p); err == nil {
				dirs = append(dirs, filepath.Dir(r))
			}
		}
	}
	dirs = append(dirs, installed()...)
next:
	for _, d := range dirs {
		if d == "" {
			continue
		}
		for _, n := range need {
			if fi, err := os.Stat(filepath.Join(d, n)); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
				continue next
			}
		}
		return d, nil
	}
	return "", fmt.Errorf("scratchpg: no directory with %s found on PATH or in /usr/lib/postgresql/*/bin", strings.Join(need, ", "))
}

// installed is every /usr/lib/postgresql/<major>/bin, newest first.
func installed() []string {
	majors, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(majors, func(i, j int) bool { return majorOf(majors[i]) > majorOf(majors[j]) })
	return majors
}

func majorOf(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

// Package names the Debian/Ubuntu package that brings the server binaries
// (server true) or the client tools: the major of the client already
// installed (so both match), else the generic package.
func Package(server bool) string {
	name := "postgresql"
	if !server {
		name = "postgresql-client"
	}
	for _, d := range installed() {
		if m := filepath.Base(filepath.Dir(d)); m != "" {
			return name + "-" + m
		}
	}
	return name
}
