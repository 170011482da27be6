package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/config"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// runFleet is runCLI with the variables of named databases and servers set
// in the process too, as a deployment sets them: config finds those by the
// names of the variables set.
func runFleet(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	for k, v := range env {
		if config.Scanned(k) {
			t.Setenv(k, v)
		}
	}
	return runCLI(t, env, args...)
}

// verifiedManifests are the manifests in dir, each checked against its
// dump: verified, and the dump's sha256 the one the manifest recorded.
func verifiedManifests(t *testing.T, dir string) []jobs.Manifest {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "*.manifest.json"))
	var out []jobs.Manifest
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var m jobs.Manifest
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		dump, err := os.ReadFile(filepath.Join(dir, m.DumpFile()))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(dump)
		if !m.Verified || hex.EncodeToString(sum[:]) != m.SHA256 {
			t.Errorf("%s: verified %v, sha256 %x, manifest says %s", p, m.Verified, sum, m.SHA256)
		}
		out = append(out, m)
	}
	return out
}

// dbOf is the database a URL names.
func dbOf(t *testing.T, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

// droppedDB is the URL of a database that was made and dropped: unreachable
// for the reason a database dropped between discovery and its dump is.
func droppedDB(t *testing.T, name string) string {
	t.Helper()
	u := pgtest.NewNamedDB(t, name)
	pgtest.Exec(t, pgtest.AdminURL(t), `DROP DATABASE "`+name+`"`)
	return u
}

// othersOnServer are the databases on the test server but keep: a server's
// exclude list, so that discovery sees only what a test made.
func othersOnServer(t *testing.T, keep ...string) string {
	t.Helper()
	rows := pgtest.QueryStrings(t, pgtest.AdminURL(t), "SELECT datname FROM pg_database WHERE NOT datistemplate")
	return strings.Join(slices.DeleteFunc(rows, func(n string) bool { return slices.Contains(keep, n) }), ",")
}
