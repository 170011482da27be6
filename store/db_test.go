package store

import (
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/config"
)

// The password ParseURL returns is what config keeps as a secret, in either
// form of connection string (moved from internal/config); the database and
// the server are how config tells two connection strings of one database.
func TestParseURLReturnsThePassword(t *testing.T) {
	tests := []struct {
		name, dsn string
		want      config.URLParts
	}{
		{"url", "postgres://u:p%40ss%20w%3Co%3E@h/db", config.URLParts{Password: "p@ss w<o>", Database: "db", Server: "h:5432"}},
		{"keyword", `host=H user=u password='a b\'c' dbname=d port=6432`, config.URLParts{Password: "a b'c", Database: "d", Server: "h:6432"}},
		{"no database: the user's", "postgres://app@10.0.0.1:5433", config.URLParts{Database: "app", Server: "10.0.0.1:5433"}},
		{"ipv6", "postgres://u@[::1]/x", config.URLParts{Database: "x", Server: "[::1]:5432"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseURL(tt.dsn)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("ParseURL = %+v, want %+v", got, tt.want)
			}
		})
	}
}
