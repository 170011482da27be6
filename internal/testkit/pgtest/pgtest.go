// Package pgtest is the shared PostgreSQL harness for pgkeeper's tests.
//
// Tests run against a real PostgreSQL server, never mocks, because the bot's
// value is in how it talks to a real server (locks, pg_dump, catalog queries).
// Each test gets its own fresh database, so tests can run with t.Parallel().
//
// The server is either TEST_DATABASE_URL (an admin URL allowed to CREATE
// DATABASE) or, when that is unset, one throwaway cluster per test binary,
// started lazily from the machine's PostgreSQL binaries. Use in each package:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// If no PostgreSQL can be found or started, tests that need it are skipped,
// unless CI=true or TEST_DATABASE_URL is set: then they fail, so a broken CI
// setup cannot silently turn the suite green.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pgkeeper/pgkeeper/internal/scratchpg"
)

// TestUser is the superuser of the throwaway cluster.
const TestUser = "pgkeeper_test"

// TestPassword is the throwaway cluster's superuser password. It is
// deliberately nasty (URL, shell and SQL metacharacters, a space, both quote
// kinds) so every code path that handles credentials is exercised with it;
// tests can also assert it never shows up in output. With TEST_DATABASE_URL
// the password is whatever that URL holds: use Password(tb) for the one in use.
const TestPassword = `p@ss w<o>rd|&;$'"x`

// Seed is how much Baileys data NewBaileysDB makes. Zero values are used as
// they are (Seed{} gives the schema with empty tables); Keys > 0 needs
// Companies >= 1 because keys are spread over companies.
type Seed struct{ Companies, Keys, Days int }

// Main runs the package's tests and stops the throwaway cluster afterwards.
// Use: func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	shutdown()
	os.Exit(code)
}

// AdminURL is the superuser URL of the shared server (maintenance db "postgres").
func AdminURL(tb testing.TB) string {
	tb.Helper()
	return get(tb).adminURL
}

// Password is the password carried by the URLs this package returns
// (TestPassword for the throwaway cluster, "" if TEST_DATABASE_URL has none).
func Password(tb testing.TB) string {
	tb.Helper()
	u, err := url.Parse(AdminURL(tb))
	if err != nil {
		tb.Fatalf("pgtest: parse admin URL: %v", err)
	}
	pw, _ := u.User.Password()
	return pw
}

// BinDir is the directory of the PostgreSQL client binaries the harness uses
// (pg_dump, pg_restore, psql), so tests run the same tools the harness does
// instead of whatever wrapper is first on PATH.
func BinDir(tb testing.TB) string {
	tb.Helper()
	s := get(tb)
	if s.binErr != nil {
		unavailable(tb, s.binErr)
	}
	return s.binDir
}

// NewDB creates a fresh, empty database for this test on the shared server
// (dropped in t.Cleanup, WITH (FORCE), so leaked connections cannot keep it
// alive) and returns its URL:
// postgres://user:password@127.0.0.1:port/dbname?sslmode=disable.
func NewDB(tb testing.TB) string {
	tb.Helper()
	return NewNamedDB(tb, dbName(tb.Name()))
}

// NewNamedDB is NewDB for a database called exactly name, however odd
// ("../esc", "My DB"), for tests of what pgkeeper derives from a name.
func NewNamedDB(tb testing.TB, name string) string {
	tb.Helper()
	admin := AdminURL(tb)
	quoted := pgx.Identifier{name}.Sanitize()
	if err := execSQL(admin, "CREATE DATABASE "+quoted); err != nil {
		tb.Fatalf("pgtest: create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		if err := execSQL(admin, "DROP DATABASE IF EXISTS "+quoted+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	u, _ := url.Parse(admin) // parsed successfully in get
	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

// NewBaileysDB is NewDB plus the reference Baileys schema and seed data,
// loaded with the real psql (the seed uses psql meta-commands). The password
// goes in PGPASSWORD, never argv, where any user could read it from ps.
func NewBaileysDB(tb testing.TB, s Seed) string {
	tb.Helper()
	if s.Companies < 0 || s.Keys < 0 || s.Days < 0 || (s.Keys > 0 && s.Companies < 1) {
		tb.Fatalf("pgtest: invalid %+v: counts must be >= 0 and keys need at least one company", s)
	}
	dbURL := NewDB(tb)
	if err := scratchpg.FillBaileys(context.Background(), BinDir(tb), dbURL, scratchpg.Seed(s)); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return dbURL
}

// Exec runs SQL on a database URL (helper for tests; fails the test on
// error). Without args, several ;-separated statements are allowed.
func Exec(tb testing.TB, dbURL, sql string, args ...any) {
	tb.Helper()
	if err := execSQL(dbURL, sql, args...); err != nil {
		tb.Fatalf("pgtest: exec %q: %v", sql, err)
	}
}

// QueryInt returns a single int64 from a query (helper for exact counts in tests).
func QueryInt(tb testing.TB, dbURL, sql string, args ...any) int64 {
	tb.Helper()
	var n int64
	err := withConn(dbURL, func(ctx context.Context, c *pgx.Conn) error {
		return c.QueryRow(ctx, sql, args...).Scan(&n)
	})
	if err != nil {
		tb.Fatalf("pgtest: query %q: %v", sql, err)
	}
	return n
}

func execSQL(dbURL, sql string, args ...any) error {
	return withConn(dbURL, func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, sql, args...)
		return err
	})
}

// withConn uses a short-lived connection rather than a pool so helpers work
// from any goroutine or cleanup without lifecycle to manage. The context is
// not the test's: cleanups run after tb.Context() is cancelled.
func withConn(dbURL string, f func(context.Context, *pgx.Conn) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	return f(ctx, c)
}

// dbName makes a unique, valid, unquoted-looking identifier from a test name:
// "t_" + lowercase [a-z0-9_] name (truncated) + "_" + random hex, <= 63 bytes,
// so a leftover database can be traced back to its test.
func dbName(testName string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(testName) {
		if b.Len() >= 40 {
			break
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	return "t_" + b.String() + "_" + hex.EncodeToString(rnd[:])
}

// unavailable skips (locally) or fails (CI, or an explicit TEST_DATABASE_URL)
// when PostgreSQL cannot be used.
func unavailable(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv("CI") == "true" || os.Getenv("TEST_DATABASE_URL") != "" {
		tb.Fatalf("pgtest: PostgreSQL is required here but unusable: %v", err)
	} else {
		tb.Skipf("pgtest: skipping, no usable PostgreSQL (install the server or set TEST_DATABASE_URL): %v", err)
	}
}

// QueryStrings runs sql on dbURL and returns its first column's values.
func QueryStrings(tb testing.TB, dbURL, sql string, args ...any) []string {
	tb.Helper()
	var out []string
	err := withConn(dbURL, func(ctx context.Context, c *pgx.Conn) error {
		rows, err := c.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		tb.Fatalf("pgtest: query %q: %v", sql, err)
	}
	return out
}
