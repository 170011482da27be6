package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
)

// A backup that reaches msk but not spb (wrong secret): the backup is
// verified and kept, the report opens with spb's failure, the command exits
// 1 naming spb; /backups says where the backup lives; status lists msk's
// copy from the bucket and says spb could not be listed.
func TestBackupRemoteFailureFromTheShell(t *testing.T) {
	_, env := mskAndSpb(t, map[string]string{
		"DATABASE_URL": pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 100, Days: 10}), "PG_BIN_DIR": pgtest.BinDir(t),
		"BACKUP_DIR": filepath.Join(t.TempDir(), "b"),
	})
	noSecret := func(s string) { t.Helper(); showsNoSecret(t, "the output", s) }
	code, out, errOut := runCLI(t, env, "backup")
	t.Logf("backup:\n%s\n%s", out, errOut)
	noSecret(out + errOut)
	if code != 1 || !strings.HasPrefix(out, "[crit] Off-site copy FAILED · spb") ||
		!strings.Contains(errOut, "pgkeeper backup: verified and kept here, but off-site copy failed on spb (") ||
		!strings.Contains(out, "msk ✓") || !strings.Contains(out, "spb ✗") {
		t.Fatalf("backup: exit %d", code)
	}
	code, out, errOut = runCLI(t, env, "backups")
	t.Logf("backups:\n%s\n%s", out, errOut)
	if code != 0 || !strings.Contains(out, "local ✓ · msk ✓ · spb ✗ ") {
		t.Errorf("backups: exit %d", code)
	}
	code, out, errOut = runCLI(t, env, "status")
	t.Logf("status:\n%s\n%s", out, errOut)
	noSecret(out + errOut)
	if code != 1 || !strings.Contains(out, "msk · s3://pgkeeper/pg · newest verified copy") ||
		!strings.Contains(out, "spb · s3://pgkeeper/pg2 · ") || !strings.Contains(out, "from the local records, not checked now: no verified copy") {
		t.Errorf("status: exit %d", code)
	}
}
