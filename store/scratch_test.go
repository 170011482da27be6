package store_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/store"
)

func TestScratchNames(t *testing.T) {
	at := time.Date(2026, 11, 28, 17, 4, 5, 0, time.FixedZone("CET", 3600))
	long := strings.Repeat("é", 40) // 80 bytes
	tests := []struct {
		name string
		give string
		want string
	}{
		{"short name kept whole, time in UTC", "wa", "wa_pgkeeper_restore_20261128_160405"},
		{"long name cut on a character and tagged", long, strings.Repeat("é", 10) + "_"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := store.ScratchName(tt.give, at)
			if !strings.HasPrefix(got, tt.want) || len(got) > 63 || !strings.HasPrefix(got, store.ScratchPrefix(tt.give)) {
				t.Fatalf("ScratchName(%q) = %q (%d bytes), want prefix %q, at most 63 bytes", tt.give, got, len(got), tt.want)
			}
		})
	}
	if store.ScratchPrefix(long+"a") == store.ScratchPrefix(long+"b") {
		t.Error("two long names sharing their beginning share a scratch prefix")
	}
}

func TestScratchDatabasesCreateListDrop(t *testing.T) {
	ctx := context.Background()
	srv, err := store.OpenServer(pgtest.AdminURL(t), "")
	if err != nil {
		t.Fatal(err)
	}
	live := "t_scratch_live"
	made := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	mine := store.ScratchName(live, made)
	others := []string{
		store.ScratchPrefix(live) + "20260102_0304", // not pgkeeper's timestamp
		store.ScratchPrefix("t_scratch_other") + "20260102_030405",
		"t_scratch_livex" + strings.TrimPrefix(mine, live),
	}
	for _, name := range append([]string{mine}, others...) {
		if err := srv.CreateDatabase(ctx, name, store.Locale{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.DropDatabase(context.Background(), name) })
	}
	got, err := srv.ScratchDatabases(ctx, live)
	if err != nil || len(got) != 1 || got[0].Name != mine || !got[0].Created.Equal(made) {
		t.Fatalf("ScratchDatabases = %+v, %v; want only %s made at %s", got, err, mine, made)
	}

	// A connection left open in the scratch database does not stop the drop.
	u, _ := url.Parse(pgtest.AdminURL(t))
	u.Path = "/" + mine
	c, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if err := srv.DropDatabase(ctx, mine); err != nil {
		t.Fatal(err)
	}
	if got, _ := srv.ScratchDatabases(ctx, live); len(got) != 0 {
		t.Fatalf("still there after the drop: %+v", got)
	}
	if err := srv.DropDatabase(ctx, mine); err != nil {
		t.Errorf("dropping a database that is gone: %v", err)
	}
}

func TestIdentitySameDatabase(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	u, _ := url.Parse(dbURL)
	pw, _ := u.User.Password()
	db := openDB(t, dbURL)
	live, err := db.Identity(ctx)
	if err != nil || live.Started.IsZero() || live.Port == 0 || live.OID == 0 {
		t.Fatalf("identity %+v: %v", live, err)
	}
	localhost := *u
	localhost.Host = "localhost:" + u.Port()
	kv := "host=127.0.0.1 port=" + u.Port() + " user=" + u.User.Username() +
		" password='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(pw) + "' dbname=" + strings.TrimPrefix(u.Path, "/")
	tests := []struct {
		name   string
		dsn    string
		dbname string
		same   bool
	}{
		{"localhost spelling", localhost.String(), "", true},
		{"key=value spelling", kv, "", true},
		{"same server, maintenance database", dbURL, "postgres", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := store.OpenServer(tt.dsn, tt.dbname)
			if err != nil {
				t.Fatal(err)
			}
			id, err := srv.Identity(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := id.SameDatabase(live); got != tt.same {
				t.Fatalf("SameDatabase = %v, want %v (%+v vs %+v)", got, tt.same, id, live)
			}
		})
	}
}
