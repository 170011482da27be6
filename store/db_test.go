package store

import "testing"

// The password ParseURL returns is what config keeps as a secret, in either
// form of connection string (moved from internal/config).
func TestParseURLReturnsThePassword(t *testing.T) {
	tests := []struct {
		name, dsn, want string
	}{
		{"url", "postgres://u:p%40ss%20w%3Co%3E@h/db", "p@ss w<o>"},
		{"keyword", `host=h user=u password='a b\'c' dbname=d`, "a b'c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseURL(tt.dsn)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("ParseURL's password = %q, want %q", got, tt.want)
			}
		})
	}
}
