package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
)

// With BACKUP_REMOTES set, `pgkeeper status` lists each remote from its
// bucket, says which could not be listed (here: a wrong secret) and that
// neither holds a copy yet, and exits 1 (warning); `pgkeeper backups` says
// the backup is not on them yet. No secret shows anywhere.
func TestStatusAndBackupsShowTheRemotes(t *testing.T) {
	_, env := mskAndSpb(t, map[string]string{
		"DATABASE_URL": pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 100, Days: 10}), "PG_BIN_DIR": pgtest.BinDir(t),
		"BACKUP_DIR": filepath.Join(t.TempDir(), "b"),
	})
	steps := []struct {
		args     []string
		wantCode int // status: 1 for a warning
		want     []string
	}{
		{[]string{"status"}, 1, []string{"Remotes\n", "msk · s3://pgkeeper/pg · no verified copy",
			"spb · s3://pgkeeper/pg2 · could not be listed: list ", "wrong credentials",
			"from the local records, not checked now: no verified copy", "remote msk holds no verified copy"}},
		{[]string{"backup"}, -1, nil}, // exit as the upload decides; its report is tested elsewhere
		{[]string{"backups"}, 0, []string{"Backups · 1", "local ✓ · msk "}},
	}
	for _, s := range steps {
		code, out, errOut := runCLI(t, env, s.args...)
		showsNoSecret(t, strings.Join(s.args, " "), out+errOut)
		if s.wantCode >= 0 && code != s.wantCode {
			t.Errorf("%v: exit %d, want %d\n%s%s", s.args, code, s.wantCode, out, errOut)
		}
		for _, w := range s.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v lacks %q:\n%s", s.args, w, out)
			}
		}
	}
}
