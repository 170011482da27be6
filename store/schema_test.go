package store_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// openDB opens a pool on a fresh database, closed when the test ends.
func openDB(t *testing.T, dbURL string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// migratedDB is a fresh database with pgkeeper's schema in place.
func migratedDB(t *testing.T) (*store.DB, string) {
	t.Helper()
	dbURL := pgtest.NewDB(t)
	db := openDB(t, dbURL)
	if err := db.Migrate(t.Context(), store.DefaultSchema); err != nil {
		t.Fatal(err)
	}
	return db, dbURL
}

func TestMigrateIsIdempotent(t *testing.T) {
	db, dbURL := migratedDB(t)
	ctx := t.Context()
	if _, err := db.StartRun(ctx, store.DefaultSchema, "backup", "shell", mustTime(t, "2026-11-28T03:00:00Z")); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := db.Migrate(ctx, store.DefaultSchema); err != nil {
			t.Fatalf("second migration: %v", err)
		}
	}
	if v, err := db.Version(ctx, store.DefaultSchema); err != nil || v != store.SchemaVersion() {
		t.Fatalf("Version = %d, %v; want %d", v, err, store.SchemaVersion())
	}
	if n := pgtest.QueryInt(t, dbURL, "SELECT count(*) FROM pgkeeper.schema_version"); n != int64(store.SchemaVersion()) {
		t.Errorf("schema_version has %d rows, want one per migration (%d)", n, store.SchemaVersion())
	}
	if n := pgtest.QueryInt(t, dbURL, "SELECT count(*) FROM pgkeeper.job_runs"); n != 1 {
		t.Errorf("migrating again lost or duplicated runs: %d rows", n)
	}
}

func TestMigrateConcurrently(t *testing.T) {
	dbURL := pgtest.NewDB(t)
	const schema = "keeper_state"
	// Separate pools, as two pgkeeper processes starting at once would have.
	dbs := make([]*store.DB, 6)
	for i := range dbs {
		dbs[i] = openDB(t, dbURL)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(dbs))
	start := make(chan struct{})
	for i, db := range dbs {
		wg.Go(func() {
			<-start
			errs[i] = db.Migrate(context.Background(), schema)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("process %d: %v", i, err)
		}
	}
	if n := pgtest.QueryInt(t, dbURL, "SELECT count(*) FROM keeper_state.schema_version"); n != int64(store.SchemaVersion()) {
		t.Errorf("schema_version has %d rows, want %d", n, store.SchemaVersion())
	}
	if v, err := dbs[0].Version(t.Context(), schema); err != nil || v != store.SchemaVersion() {
		t.Fatalf("Version = %d, %v", v, err)
	}
}

func TestMigrateRefusesOddSchemaNames(t *testing.T) {
	db := openDB(t, pgtest.NewDB(t))
	for _, give := range []string{"", "pg keeper", `x"; DROP TABLE y; --`, "a.b", "1abc"} {
		t.Run(give, func(t *testing.T) {
			if err := db.Migrate(t.Context(), give); err == nil {
				t.Fatalf("Migrate(%q) accepted", give)
			}
		})
	}
	if v, err := db.Version(t.Context(), "nothing_here"); err != nil || v != 0 {
		t.Fatalf("Version of a schema never migrated = %d, %v; want 0", v, err)
	}
}

// A least-privileged role may lack CREATE on the database: then an admin
// creates the schema for it once, and Migrate does the rest.
func TestMigrateIntoASchemaMadeForARole(t *testing.T) {
	admin := pgtest.AdminURL(t)
	role := fmt.Sprintf("keeper_app_%d", time.Now().UnixNano())
	pgtest.Exec(t, admin, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD 'app-pass'", role))
	t.Cleanup(func() { pgtest.Exec(t, admin, "DROP ROLE IF EXISTS "+role) })
	dbURL := pgtest.NewDB(t)
	pgtest.Exec(t, dbURL, "REVOKE CREATE ON DATABASE "+dbName(t, dbURL)+" FROM PUBLIC")
	u, _ := url.Parse(dbURL)
	u.User = url.UserPassword(role, "app-pass")
	app := openDB(t, u.String())
	if err := app.Migrate(t.Context(), store.DefaultSchema); err == nil {
		t.Fatal("a role without CREATE on the database created a schema")
	}
	pgtest.Exec(t, dbURL, "CREATE SCHEMA pgkeeper AUTHORIZATION "+role)
	if err := app.Migrate(t.Context(), store.DefaultSchema); err != nil {
		t.Fatalf("Migrate into a schema the role owns: %v", err)
	}
	// The scheduler's claims live in that schema too: no CREATE SCHEMA of
	// their own, which this role may not run.
	if err := app.EnsureClaims(t.Context(), store.DefaultSchema); err != nil {
		t.Fatalf("EnsureClaims in a schema the role owns: %v", err)
	}
	if ok, err := app.Claim(t.Context(), store.DefaultSchema, "backup", time.Now().Truncate(time.Minute), "a"); err != nil || !ok {
		t.Fatalf("Claim = %v, %v", ok, err)
	}
}

func dbName(t *testing.T, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}
