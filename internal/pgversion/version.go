// Package pgversion parses and compares PostgreSQL versions, so that pgkeeper
// can tell before it starts whether a client tool can handle a server.
package pgversion

import (
	"fmt"
	"regexp"
	"strconv"
)

// Version is a PostgreSQL release. Since PostgreSQL 10 the major version is a
// single number (15.4 is major 15); before it, two (9.6.24 is major 9.6, kept
// here as Major 9, Minor 6, Patch 24).
type Version struct {
	Major, Minor, Patch int
}

// Valid reports whether v was parsed from something.
func (v Version) Valid() bool { return v.Major > 0 }

// String formats v as PostgreSQL does.
func (v Version) String() string {
	if !v.Valid() {
		return "unknown"
	}
	if v.Major >= 10 {
		return fmt.Sprintf("%d.%d", v.Major, v.Minor)
	}
	return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
}

// MajorString is the major version as packages name it: "15", or "9.6".
func (v Version) MajorString() string {
	if v.Major >= 10 {
		return strconv.Itoa(v.Major)
	}
	return fmt.Sprintf("%d.%d", v.Major, v.Minor)
}

// majorKey orders majors across the 9.x / 10+ change of scheme.
func (v Version) majorKey() int {
	if v.Major >= 10 {
		return v.Major * 100
	}
	return v.Major*100 + v.Minor
}

// CanHandle reports whether a client tool of version v can dump or restore a
// server of version server: pg_dump refuses servers of a newer major version.
func (v Version) CanHandle(server Version) bool {
	return v.Valid() && server.Valid() && v.majorKey() >= server.majorKey()
}

// FromNum converts server_version_num (150018, 90624) into a Version.
func FromNum(n int) Version {
	if n >= 100000 {
		return Version{Major: n / 10000, Minor: n % 10000}
	}
	return Version{Major: n / 10000, Minor: n / 100 % 100, Patch: n % 100}
}

var versionRe = regexp.MustCompile(`(\d+)(?:\.(\d+))?(?:\.(\d+))?`)

// toolRe finds the version in "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)".
var toolRe = regexp.MustCompile(`\(PostgreSQL\)\s+(\d+(?:\.\d+){0,2})`)

// Parse reads a version from a tool's --version output or a bare "15.4".
func Parse(s string) (Version, error) {
	if m := toolRe.FindStringSubmatch(s); m != nil {
		s = m[1]
	}
	m := versionRe.FindStringSubmatch(s)
	if m == nil {
		return Version{}, fmt.Errorf("no PostgreSQL version in %q", s)
	}
	var v Version
	v.Major, _ = strconv.Atoi(m[1])
	v.Minor, _ = strconv.Atoi(m[2])
	v.Patch, _ = strconv.Atoi(m[3])
	if v.Major == 0 {
		return Version{}, fmt.Errorf("no PostgreSQL version in %q", s)
	}
	return v, nil
}
