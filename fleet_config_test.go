package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
)

// Named databases, from .env or from the environment, reach the
// configuration: a bad one is named before anything connects.
func TestNamedDatabasesAreReadAndChecked(t *testing.T) {
	gate := pgtest.NewGate(t, "postgres://u:pw@127.0.0.1:1/x")
	tests := []struct {
		name    string
		dotenv  string
		environ map[string]string // set in the process, as a deployment does
		want    []string          // the problems, in order
	}{
		{"a bad override in .env", "DATABASE_URL=" + gate.URL() + "\nDATABASE_URL_BILLING='postgres://b:billing-pw@127.0.0.1:1/billing'\nBACKUP_KEEP_DAILY_BILLING=0\n", nil,
			[]string{`BACKUP_KEEP_DAILY_BILLING: database billing: "0" is not a whole number from 1 to 3650`}},
		{"a bad override in the environment", "DATABASE_URL=" + gate.URL() + "\n",
			map[string]string{"DATABASE_URL_CRM": "postgres://c:crm-pw@127.0.0.1:1/crm", "CLEANUP_SCHEDULE_CRM": "often"},
			[]string{`CLEANUP_SCHEDULE_CRM: database crm: "often" is not a cron schedule`}},
		{"an override of no database", "DATABASE_URL=" + gate.URL() + "\n", map[string]string{"KEYS_TABLE_CRM": "k"},
			[]string{"KEYS_TABLE_CRM: set, but there is no database crm"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.environ {
				t.Setenv(k, v)
			}
			t.Chdir(t.TempDir())
			if err := os.WriteFile(filepath.Join(".", ".env"), []byte(tt.dotenv), 0o600); err != nil {
				t.Fatal(err)
			}
			var out, errb bytes.Buffer
			// Only what the case sets: a DATABASE_URL of the machine's stays out.
			lookup := func(k string) (string, bool) { v, ok := tt.environ[k]; return v, ok }
			code := run(context.Background(), []string{"status"}, lookup, &out, &errb)
			lines := strings.Split(strings.TrimSuffix(errb.String(), "\n"), "\n")
			if code != exitUsage || lines[0] != "pgkeeper: configuration:" || len(lines) != 1+len(tt.want) {
				t.Fatalf("exit %d (want %d), stderr:\n%s", code, exitUsage, errb.String())
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(lines[1+i], "  "+w) {
					t.Errorf("line %d: want %q, got %q", 1+i, w, lines[1+i])
				}
			}
			if strings.Contains(errb.String(), "-pw") {
				t.Errorf("a password printed:\n%s", errb.String())
			}
			if n := gate.Refused.Load(); n != 0 {
				t.Errorf("%d connections before the configuration was found bad", n)
			}
		})
	}
}
