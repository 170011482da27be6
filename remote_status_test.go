package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/s3test"
)

// With BACKUP_REMOTES set, `pgkeeper status` lists each remote from its
// bucket, says which could not be listed (here: a wrong secret) and that
// neither holds a copy yet, and exits 1 (warning); `pgkeeper backups` says
// the backup is not on them yet. No secret shows anywhere.
func TestStatusAndBackupsShowTheRemotes(t *testing.T) {
	const wrongSecret = "wrong-secret-do-not-leak"
	_, env := startS3(t, map[string]string{
		"DATABASE_URL": pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 100, Days: 10}), "PG_BIN_DIR": pgtest.BinDir(t),
		"BACKUP_DIR":                          filepath.Join(t.TempDir(), "b"),
		"BACKUP_REMOTES":                      "msk=s3://" + s3test.Bucket + "/pg,spb=s3://" + s3test.Bucket + "/pg2",
		"BACKUP_REMOTE_SPB_ACCESS_KEY_ID":     s3test.AccessKeyID,
		"BACKUP_REMOTE_SPB_SECRET_ACCESS_KEY": wrongSecret,
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
		for _, secret := range []string{s3test.SecretAccessKey, wrongSecret} {
			if strings.Contains(out+errOut, secret) {
				t.Errorf("%v shows a secret:\n%s%s", s.args, out, errOut)
			}
		}
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
