package store_test

import (
	"testing"

	"github.com/pgkeeper/pgkeeper/store"
)

// WithDatabase names any database, whatever its characters, in both forms
// of connection string, and keeps the rest (the password included).
func TestWithDatabase(t *testing.T) {
	bases := []string{
		"postgres://u:p%40ss@db3:5433/postgres?sslmode=disable",
		"host=db3 port=5433 user=u password='p@ss' dbname=postgres sslmode=disable",
	}
	names := []string{"My Sales-DB 2", "a'b", `back\slash`, "q?x#y%z/w", "ünï"}
	for _, base := range bases {
		for _, name := range names {
			dsn, err := store.WithDatabase(base, name)
			if err != nil {
				t.Fatalf("%q %q: %v", base, name, err)
			}
			parts, err := store.ParseURL(dsn)
			if err != nil || parts.Database != name || parts.Server != "db3:5433" || parts.Password != "p@ss" {
				t.Errorf("%q with %q: %+v %v", base, name, parts, err)
			}
		}
	}
}

// IsScratch knows a scratch database of any live database by its form.
func TestIsScratch(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{"app_pgkeeper_restore_20261130_030000", true},
		{"My DB_pgkeeper_restore_20261130_030000", true},
		{"app", false},
		{"app_pgkeeper_restore_", false},
		{"app_pgkeeper_restore_20261130_030000_copy", false},
		{"app_pgkeeper_restore_latest", false},
	}
	for _, tt := range tests {
		if got := store.IsScratch(tt.give); got != tt.want {
			t.Errorf("IsScratch(%q) = %v, want %v", tt.give, got, tt.want)
		}
	}
}
