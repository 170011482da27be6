package jobs_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
)

func dbExists(t *testing.T, name string) bool {
	t.Helper()
	ok, err := adminServer(t).DatabaseExists(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// withDB is url with its database replaced.
func withDB(url, db string) string {
	return url[:strings.LastIndex(url, "/")+1] + db + url[strings.Index(url, "?"):]
}

// contentSum is a checksum of a table's whole content, to compare a restored
// table with its original.
const contentSum = `SELECT ('x' || substr(md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')), 1, 15))::bit(60)::bigint FROM %s t`

// pgkeeper restore: a backup into a new database, verified and kept, with
// the live database up and with it gone (then the restore server is reached
// through RESTORE_DATABASE_URL and no lock is taken, which the report says).
func TestRestoreIntoNewDatabase(t *testing.T) {
	live, dir, m := backedUp(t, pgtest.Seed{Companies: 2, Keys: 3000, Days: 60})
	tests := []struct {
		name     string
		liveDown bool
	}{
		{"the live database answers", false},
		{"the live database is down", true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			into := dbNameOf(live) + "_recovered" + string(rune('a'+i))
			t.Cleanup(func() { adminServer(t).DropDatabase(context.Background(), into) })
			job := restoreJob(t, live, dir, pgtest.BinDir(t))
			if tt.liveDown {
				gate := pgtest.NewGate(t, live) // never opened
				job = restoreJob(t, gate.URL(), dir, pgtest.BinDir(t))
				job.Config.RestoreDatabaseURL = pgtest.AdminURL(t)
			}
			if _, err := job.PreviewInto(context.Background(), "", into); err != nil {
				t.Fatalf("preview: %v", err)
			}
			r, err := job.Run(context.Background(), jobs.RestoreOptions{Into: into, Trigger: "test"}, nil)
			if err != nil || !r.OK() {
				t.Fatalf("restore into %s failed: %v\n%+v", into, err, r)
			}
			if !r.Kept || r.Dropped || r.Scratch != into || r.Rows != m.TotalRows() || r.Fingerprinted != 1 {
				t.Errorf("report: %+v", r)
			}
			warned := strings.Contains(strings.Join(r.Warnings, "\n"), "live database does not answer")
			if warned != tt.liveDown {
				t.Errorf("warnings %q (live down: %v)", r.Warnings, tt.liveDown)
			}
			if !dbExists(t, into) {
				t.Fatalf("%s is gone after a passed recovery", into)
			}
			if c, err := adminServer(t).DatabaseComment(context.Background(), into); err != nil || c != "" {
				t.Errorf("a verified recovery still carries %q (%v)", c, err)
			}
			for _, table := range []string{"whatsapp_auth", "whatsapp_keys"} {
				want := pgtest.QueryInt(t, live, strings.Replace(contentSum, "%s", table, 1))
				if got := pgtest.QueryInt(t, withDB(live, into), strings.Replace(contentSum, "%s", table, 1)); got != want {
					t.Errorf("%s restored with other content than the live one", table)
				}
			}
			if left := scratchLeft(t, live); len(left) > 0 {
				t.Errorf("scratch databases made: %v", left)
			}
		})
	}
}

// A recovery never writes into, nor drops, a database that exists, and
// refuses names restore tests would sweep; it drops only the database it
// made itself, when its restore failed.
func TestRestoreIntoRefusesAndCleansUp(t *testing.T) {
	live, dir, m := backedUp(t, pgtest.Seed{Companies: 1, Keys: 500, Days: 40})
	other := dbNameOf(live) + "_other"
	if err := adminServer(t).CreateDatabase(context.Background(), other, store.Locale{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { adminServer(t).DropDatabase(context.Background(), other) })
	pgtest.Exec(t, withDB(live, other), "CREATE TABLE marker (x int)")
	keys := pgtest.QueryInt(t, live, "SELECT count(*) FROM whatsapp_keys")

	tests := []struct {
		name    string
		into    string
		wantErr error
		words   string
	}{
		{"the live database", dbNameOf(live), jobs.ErrTargetExists, "never over one"},
		{"another existing database", other, jobs.ErrTargetExists, "never over one"},
		{"a restore test's scratch name", store.ScratchName(dbNameOf(live), m.Start), nil, "scratch database"},
		{"a name PostgreSQL would cut", strings.Repeat("x", 64), nil, "cannot be a database name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := restoreJob(t, live, dir, pgtest.BinDir(t))
			_, perr := job.PreviewInto(context.Background(), "", tt.into)
			r, err := job.Run(context.Background(), jobs.RestoreOptions{Into: tt.into}, nil)
			for _, e := range []error{perr, err} {
				if e == nil || !strings.Contains(e.Error(), tt.words) || (tt.wantErr != nil && !errors.Is(e, tt.wantErr)) {
					t.Fatalf("want a refusal saying %q, got %v", tt.words, e)
				}
			}
			if r.FailedAt != "preflight" || r.Kept || len(r.Steps) != 1 {
				t.Errorf("a refused recovery went on: %+v", r)
			}
		})
	}
	if n := pgtest.QueryInt(t, live, "SELECT count(*) FROM whatsapp_keys"); n != keys {
		t.Errorf("the live database changed: %d keys, had %d", n, keys)
	}
	if n := pgtest.QueryInt(t, withDB(live, other), "SELECT count(*) FROM pg_tables WHERE tablename = 'marker'"); n != 1 {
		t.Error("the other database was touched")
	}

	// A damaged backup: the new database is dropped, nothing else.
	flipByte(t, dir+"/"+m.DumpFile())
	into := dbNameOf(live) + "_recovered"
	r, err := restoreJob(t, live, dir, pgtest.BinDir(t)).Run(context.Background(), jobs.RestoreOptions{Into: into}, nil)
	if !errors.Is(err, jobs.ErrCorruptBackup) || r.Kept || !r.Dropped {
		t.Fatalf("damaged backup: %v, %+v", err, r)
	}
	if dbExists(t, into) || !dbExists(t, other) || !dbExists(t, dbNameOf(live)) {
		t.Errorf("after a failed recovery: %s exists %v, %s %v, live %v", into, dbExists(t, into), other, dbExists(t, other), dbExists(t, dbNameOf(live)))
	}
}
