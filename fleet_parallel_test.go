package main

import (
	"path/filepath"
	"strconv"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// BACKUP_PARALLEL is how many backups run at once on one server: with 2,
// two of three databases' backups overlap (their manifests' start and end
// say so) and never three; with 1, none do.
func TestBackupParallelPerServer(t *testing.T) {
	seed := pgtest.Seed{Companies: 1, Keys: 200, Days: 5}
	env := map[string]string{
		"DATABASE_URL_A": pgtest.NewBaileysDB(t, seed),
		"DATABASE_URL_B": pgtest.NewBaileysDB(t, seed),
		"DATABASE_URL_C": pgtest.NewBaileysDB(t, seed),
		"PG_BIN_DIR":     pgtest.BinDir(t),
	}
	for _, parallel := range []int{2, 1} {
		t.Run("BACKUP_PARALLEL="+strconv.Itoa(parallel), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "backups")
			env["BACKUP_DIR"], env["BACKUP_PARALLEL"] = dir, strconv.Itoa(parallel)
			if code, stdout, stderr := runFleet(t, env, "backup", "--all"); code != exitOK {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			var ms []jobs.Manifest
			for _, name := range []string{"a", "b", "c"} {
				ms = append(ms, verifiedManifests(t, filepath.Join(dir, name))...)
			}
			if len(ms) != 3 {
				t.Fatalf("%d backups, want 3", len(ms))
			}
			if most := mostAtOnce(ms); most != parallel {
				t.Errorf("at most %d backups at once, want %d", most, parallel)
			}
		})
	}
}

// mostAtOnce is the most manifests whose [Start, End] overlap at one time.
func mostAtOnce(ms []jobs.Manifest) int {
	most := 0
	for _, at := range ms {
		n := 0
		for _, m := range ms {
			if !m.Start.After(at.Start) && m.End.After(at.Start) {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}
