package store

import (
	"slices"
	"testing"
)

func TestClientEnv(t *testing.T) {
	tests := []struct {
		name   string
		dsn    string
		dbname string
		want   []string
	}{
		{"url with nasty password", "postgres://app:p%40ss%20w%3Co%3Erd%7C%26%3B%24%27%22x@db.example:6432/wa?sslmode=verify-full&sslrootcert=/etc/ca.pem",
			"", []string{"PGUSER=app", `PGPASSWORD=p@ss w<o>rd|&;$'"x`, "PGHOST=db.example", "PGPORT=6432", "PGDATABASE=wa", "PGSSLMODE=verify-full", "PGSSLROOTCERT=/etc/ca.pem"}},
		{"keyword form", `host=/var/run/postgresql user=app password='a b\'c' dbname=wa`,
			"other", []string{"PGHOST=/var/run/postgresql", "PGUSER=app", "PGPASSWORD=a b'c", "PGDATABASE=other"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ClientEnv(tt.dsn, tt.dbname)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing %q in %q", w, got)
				}
			}
		})
	}
}

func TestClientEnvRefusesUnknownParameter(t *testing.T) {
	if _, err := ClientEnv("postgres://u@h/db?frobnicate=4", ""); err == nil {
		t.Fatal("a parameter libpq cannot take must be refused, not dropped")
	}
	if _, err := ClientEnv("postgres://u@h/db?pool_max_conns=4", ""); err != nil {
		t.Fatalf("pgx's own pool settings are no concern of pg_dump: %v", err)
	}
}
