package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

func cleanupSpec(now time.Time) store.CleanupSpec {
	return store.CleanupSpec{
		Table: vocab.Ident{Name: "whatsapp_keys"}, AgeColumn: "updated_at", ExpiresColumn: "expires_at",
		AuthTable: vocab.Ident{Name: "whatsapp_auth"}, Protected: []string{"app-state-sync-key"},
		Cutoff: now.Add(-30 * 24 * time.Hour), Now: now,
	}
}

// TestDeleterWalksTheTableOnce walks a whole table in batches, limited and
// not: every deletable row goes exactly once, no batch exceeds its limit, and
// the table is never scanned sequentially as a whole (there is no age index
// to use: each batch reads a range of pages).
func TestDeleterWalksTheTableOnce(t *testing.T) {
	tests := []struct {
		name         string
		batch, limit int
	}{
		{"batches of 100", 100, 0},
		{"one batch", 100000, 0},
		{"limited to 7 a batch", 100, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 3, Keys: 3000, Days: 60})
			db := openDB(t, url)
			now := time.Now()
			spec := cleanupSpec(now)
			// Counted on a connection that then closes, flushing its statistics
			// (a pooled one may keep them for seconds).
			cc := store.CleanupCounts{
				Rows: pgtest.QueryInt(t, url, "SELECT count(*) FROM whatsapp_keys"),
				Expired: pgtest.QueryInt(t, url, `SELECT count(*) FROM whatsapp_keys k LEFT JOIN whatsapp_auth a USING (company_id)
					WHERE (k.updated_at < $1 OR k.expires_at < $2) AND key_type <> 'app-state-sync-key'
					AND NOT (key_type = 'pre-key' AND key_id = ((a.creds->>'nextPreKeyId')::bigint - 1)::text)`, spec.Cutoff, spec.Now),
			}
			seqBefore := settledSeqScans(t, url)
			d, err := db.NewDeleter(t.Context(), spec, tt.batch)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			var deleted int64
			for i := 0; !d.Done(); i++ {
				b, err := d.Next(t.Context(), tt.limit, func(v []*string) error {
					key := *v[0] + "|" + *v[1] + "|" + *v[2]
					if seen[key] {
						t.Errorf("%s returned twice", key)
					}
					seen[key] = true
					return nil
				}, func(int) error { return nil })
				if err != nil {
					t.Fatal(err)
				}
				if b.Deleted > tt.batch || tt.limit > 0 && b.Deleted > tt.limit {
					t.Fatalf("batch deleted %d, batch %d, limit %d", b.Deleted, tt.batch, tt.limit)
				}
				deleted += int64(b.Deleted)
				if i > 10000 {
					t.Fatal("walk does not end")
				}
			}
			d.Close(t.Context())
			if deleted != cc.Expired || len(seen) != int(deleted) {
				t.Errorf("deleted %d (%d distinct), counted %d", deleted, len(seen), cc.Expired)
			}
			// Close flushed the walk's statistics. A batch whose range is the
			// whole table may rightly read it sequentially.
			seqAfter := pgtest.QueryInt(t, url, "SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'whatsapp_keys'")
			if seqAfter != seqBefore && int64(tt.batch) < cc.Rows {
				t.Errorf("the walk scanned the table sequentially %d times", seqAfter-seqBefore)
			}
			if after, _ := db.CleanupCounts(t.Context(), spec); after.Expired != 0 || after.Rows != cc.Rows-deleted {
				t.Errorf("after the walk: %+v", after)
			}
		})
	}
}

// settledSeqScans reads the keys table's sequential scan count once other
// connections' statistics have been flushed (PostgreSQL 15 flushes them up
// to a second late).
func settledSeqScans(t *testing.T, url string) int64 {
	t.Helper()
	q := "SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'whatsapp_keys'"
	last := pgtest.QueryInt(t, url, q)
	for range 20 {
		time.Sleep(300 * time.Millisecond)
		n := pgtest.QueryInt(t, url, q)
		if n == last {
			return n
		}
		last = n
	}
	return last
}

// TestDeleterRollsBackWhenTheUndoFails: rows must never go unrecorded.
func TestDeleterRollsBackWhenTheUndoFails(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 500, Days: 60})
	db := openDB(t, url)
	before := pgtest.QueryInt(t, url, "SELECT count(*) FROM whatsapp_keys")
	d, err := db.NewDeleter(t.Context(), cleanupSpec(time.Now()), 100)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close(t.Context())
	disk := errors.New("disk full")
	_, err = d.Next(t.Context(), 0, func([]*string) error { return nil }, func(int) error { return disk })
	if !errors.Is(err, disk) || pgtest.QueryInt(t, url, "SELECT count(*) FROM whatsapp_keys") != before {
		t.Fatalf("want the batch rolled back on %v, got %v", disk, err)
	}
}

func TestCleanupRefusesTheCredentialsTable(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 10, Days: 60})
	db := openDB(t, url)
	for _, table := range []vocab.Ident{{Name: "whatsapp_auth"}, {Schema: "public", Name: "whatsapp_auth"}} {
		spec := cleanupSpec(time.Now())
		spec.Table = table
		if _, err := db.NewDeleter(t.Context(), spec, 100); !errors.Is(err, store.ErrCredentialsTable) {
			t.Errorf("deleter on %s: %v", table, err)
		}
		if _, err := db.CleanupCounts(t.Context(), spec); !errors.Is(err, store.ErrCredentialsTable) {
			t.Errorf("counts on %s: %v", table, err)
		}
		if _, _, err := db.RestoreRows(t.Context(), table, vocab.Ident{Name: "whatsapp_auth"}, nil, [][]*string{{}}); !errors.Is(err, store.ErrCredentialsTable) {
			t.Errorf("restore into %s: %v", table, err)
		}
		if err := db.Vacuum(t.Context(), table); !errors.Is(err, store.ErrCredentialsTable) {
			t.Errorf("vacuum %s: %v", table, err)
		}
	}
}
