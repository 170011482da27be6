package pgtest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func dbOf(t *testing.T, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

func TestNewDB(t *testing.T) {
	t.Parallel()
	db := NewDB(t)
	name := dbOf(t, db)
	Exec(t, db, "CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2), (3)") // several statements, no args
	Exec(t, db, "INSERT INTO t VALUES ($1)", 10)
	for _, tc := range []struct {
		name string
		sql  string
		args []any
		want int64
	}{
		{"is the database named in the URL", "SELECT (current_database() = $1)::int", []any{name}, 1},
		{"had no user tables but t", "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname <> 't'", nil, 0},
		{"connects as the URL's user", "SELECT (current_user = $1)::int", []any{mustUser(t, db)}, 1},
		{"keeps data", "SELECT sum(x) FROM t WHERE x > $1", []any{1}, 15},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := QueryInt(t, db, tc.sql, tc.args...); got != tc.want {
				t.Fatalf("got %d, want %d", got, tc.want)
			}
		})
	}
	if len(name) > 63 || !strings.HasPrefix(name, "t_testnewdb_") {
		t.Errorf("database name %q: want t_testnewdb_..., <= 63 bytes", name)
	}
}

func mustUser(t *testing.T, dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.User.Username()
}

func TestNewDBGivesDistinctDatabases(t *testing.T) {
	t.Parallel()
	a, b := NewDB(t), NewDB(t)
	if dbOf(t, a) == dbOf(t, b) {
		t.Fatalf("same database twice: %s", dbOf(t, a))
	}
	Exec(t, a, "CREATE TABLE only_in_a (id int)")
	if n := QueryInt(t, b, "SELECT count(*) FROM pg_class WHERE relname = $1", "only_in_a"); n != 0 {
		t.Fatalf("table created in a is visible in b")
	}
}

func TestNewBaileysDB(t *testing.T) {
	t.Parallel()
	for _, s := range []Seed{{0, 0, 0}, {1, 10, 1}, {3, 500, 30}, {5, 2000, 60}} {
		t.Run(fmt.Sprintf("%d_%d_%d", s.Companies, s.Keys, s.Days), func(t *testing.T) {
			t.Parallel()
			db := NewBaileysDB(t, s)
			for _, c := range []struct {
				sql  string
				want int64
			}{
				{"SELECT count(*) FROM whatsapp_auth", int64(s.Companies)},
				// Key ids are unique by construction for Keys <= 150000, so ON CONFLICT drops none.
				{"SELECT count(*) FROM whatsapp_keys", int64(s.Keys)},
				{"SELECT count(DISTINCT company_id) FROM whatsapp_keys", int64(min(s.Companies, s.Keys))},
				{"SELECT count(*) FROM whatsapp_keys k LEFT JOIN whatsapp_auth a USING (company_id) WHERE a.company_id IS NULL", 0},
				// Ages spread over [0, Days); the hour absorbs the time since seeding.
				{"SELECT count(*) FROM whatsapp_keys WHERE updated_at < now() - make_interval(days => $1::int, hours => 1)", 0},
			} {
				args := []any{}
				if strings.Contains(c.sql, "$1") {
					args = append(args, s.Days)
				}
				if got := QueryInt(t, db, c.sql, args...); got != c.want {
					t.Errorf("%s = %d, want %d", c.sql, got, c.want)
				}
			}
		})
	}
}

func TestNastyPassword(t *testing.T) {
	if os.Getenv("TEST_DATABASE_URL") != "" {
		t.Skip("the throwaway cluster's password is not in use with TEST_DATABASE_URL")
	}
	t.Parallel()
	db := NewDB(t)
	if got := Password(t); got != TestPassword {
		t.Fatalf("URL carries password %q, want TestPassword", got)
	}
	for _, tc := range []struct {
		name, password string
		wantOK         bool
	}{
		{"right password", TestPassword, true},
		{"wrong password", TestPassword + "x", false},
		{"no password", "", false}, // proves host auth is not trust
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := pgx.ParseConfig(db) // the URL's escaping round-trips
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Password != TestPassword {
				t.Fatalf("parsed password %q, want TestPassword", cfg.Password)
			}
			cfg.Password = tc.password
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := pgx.ConnectConfig(ctx, cfg)
			if err == nil {
				c.Close(ctx)
			}
			if (err == nil) != tc.wantOK {
				t.Fatalf("connect err = %v, want ok=%v", err, tc.wantOK)
			}
		})
	}
	for _, c := range []struct{ sql string }{
		{"SELECT count(*) FROM pg_hba_file_rules WHERE type = 'host' AND database = '{all}' AND address = '127.0.0.1' AND auth_method = 'scram-sha-256'"},
		{"SELECT count(*) FROM pg_authid WHERE rolname = current_user AND rolpassword LIKE 'SCRAM-SHA-256$%'"},
	} {
		if QueryInt(t, db, c.sql) != 1 {
			t.Errorf("want 1 row: %s", c.sql)
		}
	}
	if _, err := os.Stat(filepath.Join(srv.cluster.Base, "pwfile")); !os.IsNotExist(err) {
		t.Errorf("initdb password file left behind: %v", err)
	}
}

func TestDatabasesAreDroppedAfterTheTest(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var names []string
	t.Run("group", func(t *testing.T) {
		for i := range 4 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				db := NewDB(t)
				if i == 0 { // a leaked connection must not keep the database alive
					c, err := pgx.Connect(context.Background(), db)
					if err != nil {
						t.Fatal(err)
					}
					_ = c // deliberately never closed
				}
				mu.Lock()
				names = append(names, dbOf(t, db))
				mu.Unlock()
			})
		}
	})
	if len(names) != 4 {
		t.Fatalf("got %d databases, want 4", len(names))
	}
	admin := AdminURL(t)
	for _, n := range names {
		if QueryInt(t, admin, "SELECT count(*) FROM pg_database WHERE datname = $1", n) != 0 {
			t.Errorf("database %s still exists after its test", n)
		}
	}
}

func TestDBName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, prefix string }{
		{"TestX", "t_testx_"},
		{"TestX/sub case#01", "t_testx_sub_case_01_"},
		{"Test/Ünïcode-ß", "t_test__n_code___"},
		{strings.Repeat("A", 200), "t_" + strings.Repeat("a", 40) + "_"},
	} {
		a, b := dbName(tc.in), dbName(tc.in)
		if !strings.HasPrefix(a, tc.prefix) || len(a) > 63 || a == b {
			t.Errorf("dbName(%q) = %q, %q: want prefix %q, <= 63 bytes, unique", tc.in, a, b, tc.prefix)
		}
		if strings.Trim(a, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			t.Errorf("dbName(%q) = %q has characters outside [a-z0-9_]", tc.in, a)
		}
	}
}

func TestBinDir(t *testing.T) {
	t.Parallel()
	for _, bin := range clientBins {
		out, err := exec.Command(filepath.Join(BinDir(t), bin), "--version").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "PostgreSQL") {
			t.Errorf("%s --version: %v %s", bin, err, out)
		}
	}
}

// recorder is a TB whose Skipf/Fatalf only record, to test unavailable.
type recorder struct {
	testing.TB
	skipped, failed bool
}

func (r *recorder) Skipf(string, ...any)  { r.skipped = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }

func TestUnavailableSkipsOnlyOutsideCI(t *testing.T) {
	for _, tc := range []struct {
		ci, dbURL   string
		wantFailure bool
	}{
		{"", "", false},
		{"false", "", false},
		{"true", "", true},
		{"", "postgres://x@127.0.0.1:1/postgres", true},
	} {
		t.Setenv("CI", tc.ci)
		t.Setenv("TEST_DATABASE_URL", tc.dbURL)
		r := &recorder{TB: t}
		unavailable(r, fmt.Errorf("no server"))
		if r.failed != tc.wantFailure || r.skipped == tc.wantFailure {
			t.Errorf("CI=%q TEST_DATABASE_URL=%q: failed=%v skipped=%v", tc.ci, tc.dbURL, r.failed, r.skipped)
		}
	}
}

// TestCrashedBinaryLeavesNoServer re-runs this test binary, which starts a
// cluster and SIGKILLs itself; the watchdog must stop the server and remove
// its directory anyway.
func TestCrashedBinaryLeavesNoServer(t *testing.T) {
	if os.Getenv("PGTEST_CRASH_CHILD") == "1" {
		s := get(t)
		u, _ := url.Parse(s.adminURL)
		fmt.Printf("CRASH base=%s host=%s\n", s.cluster.Base, u.Host)
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	if os.Getenv("TEST_DATABASE_URL") != "" {
		t.Skip("no throwaway cluster with TEST_DATABASE_URL")
	}
	AdminURL(t) // skip like every other test when there is no PostgreSQL
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashedBinaryLeavesNoServer$", "-test.count=1")
	cmd.Env = append(os.Environ(), "PGTEST_CRASH_CHILD=1")
	out, _ := cmd.Output()
	var base, host string
	if _, err := fmt.Sscanf(strings.TrimSpace(string(out)), "CRASH base=%s host=%s", &base, &host); err != nil {
		t.Fatalf("child output %q: %v", out, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, statErr := os.Stat(base)
		conn, dialErr := net.DialTimeout("tcp", host, time.Second)
		if conn != nil {
			conn.Close()
		}
		if os.IsNotExist(statErr) && dialErr != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("30s after the crash: dir %s stat err=%v, server %s dial err=%v", base, statErr, host, dialErr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
