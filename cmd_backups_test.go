package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// `pgkeeper backups` says where each backup lives and whether each copy was
// verified, from the manifest's records of its copies.
func TestBackupsShellSaysWhereEachLives(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 100, Days: 10})
	dir := t.TempDir()
	env := map[string]string{"DATABASE_URL": url, "PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": dir}
	if code, out, errOut := runCLI(t, env, "backup"); code != 0 {
		t.Fatalf("backup: exit %d\n%s\n%s", code, out, errOut)
	}
	manifests, _ := filepath.Glob(filepath.Join(dir, "*.manifest.json"))
	if len(manifests) != 1 {
		t.Fatalf("manifests: %v", manifests)
	}
	data, err := os.ReadFile(manifests[0])
	if err != nil {
		t.Fatal(err)
	}
	var m jobs.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	m.Remotes = []jobs.RemoteCopy{
		{Remote: "msk", Key: m.DumpFile(), Verified: true, VerifiedBy: "read back"},
		{Remote: "spb", Error: "unreachable: dial tcp 10.0.0.9:443: connection refused"},
	}
	if err := jobs.SaveManifest(dir, m); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, env, "backups")
	want := "local ✓ · msk ✓ · spb ✗ unreachable: dial tcp 10.0.0.9:443: connection refused"
	if code != 0 || !strings.Contains(out, m.Name) || !strings.Contains(out, want) {
		t.Fatalf("backups: exit %d, want 0 and %q\nstdout:\n%s\nstderr:\n%s", code, want, out, errOut)
	}
}
