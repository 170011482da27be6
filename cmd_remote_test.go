package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
)

// Bad remote options get a clear answer and exit 2, before anything runs:
// no database is made and BACKUP_DIR is not created.
func TestRemoteOptionsRefused(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 10, Days: 10})
	dir := filepath.Join(t.TempDir(), "backups")
	env := map[string]string{"DATABASE_URL": url, "PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": dir}
	key := filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(key, []byte("AGE-SECRET-KEY-1QQQ\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"verify without a remote", []string{"backups", "--verify"}, "--verify checks a remote's copies: give the remote (--remote NAME)"},
		{"prune a remote", []string{"backups", "--remote", "msk", "--prune-broken"}, "--prune-broken is for BACKUP_DIR"},
		{"unknown remote to list", []string{"backups", "--remote", "msk", "--verify"},
			`pgkeeper backups: no remote of that name "msk": none is configured (BACKUP_REMOTES)`},
		{"unknown remote to test", []string{"restore-test", "--from", "msk"}, `no remote of that name "msk"`},
		{"unknown remote to restore", []string{"restore", "--into", "recovered_x", "--from", "msk", "--yes"}, `no remote of that name "msk"`},
		{"identity without a remote", []string{"restore-test", "--identity", key}, "give the remote too (--from NAME)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, env, tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tt.want)
			}
			if stdout != "" {
				t.Errorf("a refused command printed a report: %q", stdout)
			}
		})
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("BACKUP_DIR was touched: %v", err)
	}
	if n := pgtest.QueryInt(t, pgtest.AdminURL(t), "SELECT count(*) FROM pg_database WHERE datname = 'recovered_x'"); n != 0 {
		t.Error("recovered_x was made")
	}
}
