package render

import (
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/jobs"
)

// The remote's listing, verified or not, and a restore from a remote: each
// says where the copy came from, and a ciphertext check never reads as a
// restore that passed.
func TestRemoteRendering(t *testing.T) {
	now := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)
	taken := now.Add(-3 * time.Hour)
	copyOf := func(name string, enc bool) jobs.Manifest {
		key := name + ".dump.zst"
		if enc {
			key += ".age"
		}
		return jobs.Manifest{Name: name, Start: taken, Kind: "daily", Remotes: []jobs.RemoteCopy{
			{Remote: "msk", Key: key, Encrypted: enc, Size: 2_000_000, SHA256: "ab12", Verified: true,
				GlobalsKey: name + ".globals.sql.zst.age"}}}
	}
	a, b := copyOf("wa-20261130T030000Z", true), copyOf("wa-20261129T030000Z", false)
	listing := jobs.RemoteListing{Remote: "msk", Backups: []jobs.Manifest{a, b},
		Broken: []jobs.RemoteBroken{{Name: "wa-20261128T030000Z", Reason: "has no manifest", Bytes: 10,
			Keys: []string{"wa-20261128T030000Z.dump.zst"}}}}
	up := jobs.Origin{Database: "wa", SystemID: "7"}
	passed := jobs.RestoreReport{Backup: a, From: "msk", RTO: time.Minute, RPO: 3 * time.Hour, Tables: 2, Rows: 10,
		Fingerprinted: 1, Scratch: "wa_pgkeeper_restore_x", Server: "db:5432", Dropped: true}
	tests := []struct {
		name    string
		render  func(Format) string
		want    []string
		notWant []string
	}{
		{"listed", func(f Format) string {
			return RemoteBackups(jobs.RemoteBackups{Remote: "msk", Where: "s3://b/p", Origin: up, Listing: listing}, now, f)
		}, []string{"Backups on msk · 2 · s3://b/p", "2026-11-30 03:00 · daily · 2.00 MB · encrypted · 3 h 0 min ago",
			"wa-20261129T030000Z", "plain", "Broken · 1", "has no manifest", "--verify reads each copy whole"},
			[]string{"verified ✓", "FAILED", "does not answer"}},
		{"verified, one changed, server down", func(f Format) string {
			return RemoteBackups(jobs.RemoteBackups{Remote: "msk", Where: "s3://b/p", Origin: jobs.Origin{Database: "wa"},
				Listing: listing, Verified: true, Checks: []jobs.CopyCheck{{Backup: a.Name, Verdict: jobs.CopyOK},
					{Backup: b.Name, Verdict: jobs.CopyChanged, Detail: "x.dump.zst: sha256 ff, its manifest says ab12"}}}, now, f)
		}, []string{"Backups on msk · 2 · 1 FAILED verification", "verified ✓", "changed: x.dump.zst: sha256 ff, its manifest says ab12",
			"does not answer: copies of database wa from any server", "read whole"}, []string{"--verify reads"}},
		{"restore test from a remote", func(f Format) string { return RestoreTest(passed, f) },
			[]string{"Restore test passed", "streamed from remote msk, decrypted on the way · sha256 checked"}, nil},
		{"ciphertext only", func(f Format) string {
			return RestoreTest(jobs.RestoreReport{Backup: a, From: "msk", CiphertextOnly: true, RPO: time.Hour, Dropped: true,
				Warnings: []string{"only the ciphertext was checked: give --identity FILE"}}, f)
		}, []string{"ciphertext checked, NOT restored · wa-20261130T030000Z", "only the ciphertext was checked", "--identity FILE"},
			[]string{"passed", "RTO", "streamed from", "scratch database"}},
		{"recovery from a remote", func(f Format) string {
			r := passed
			r.Kept, r.Dropped, r.Scratch = true, false, "wa_new"
			return Recovery(r, "/gone", f)
		}, []string{"Restored and verified", "streamed from remote msk", "wa-20261130T030000Z.globals.sql.zst.age on msk"},
			[]string{"/gone"}},
	}
	for _, tt := range tests {
		for _, f := range []Format{HTML, Plain} {
			t.Run(tt.name+formatName(f), func(t *testing.T) {
				assertWords(t, words(tt.render(f), f), tt.want, tt.notWant)
			})
		}
	}
}

// A restore test of a remote's copy, recorded in the local manifest, says
// whose copy it proved (or failed): the local file may be fine.
func TestBackupsSayWhoseCopyWasRestoreTested(t *testing.T) {
	now := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)
	m := jobs.Manifest{Name: "wa-20261130T030000Z", Start: now.Add(-time.Hour), Kind: "daily"}
	tests := []struct {
		name  string
		proof jobs.RestoreProof
		want  string
	}{
		{"local passed", jobs.RestoreProof{At: now, OK: true}, "restore-tested 11-30"},
		{"remote passed", jobs.RestoreProof{At: now, OK: true, From: "msk"}, "restore-tested of the msk copy 11-30"},
		{"remote failed", jobs.RestoreProof{At: now, From: "msk"}, "restore test of the msk copy FAILED"},
	}
	for _, tt := range tests {
		for _, f := range []Format{HTML, Plain} {
			t.Run(tt.name+formatName(f), func(t *testing.T) {
				b := m
				b.RestoreTests = []jobs.RestoreProof{tt.proof}
				assertWords(t, words(Backups(jobs.Listing{Backups: []jobs.Manifest{b}}, 0, now, f), f), []string{tt.want}, nil)
			})
		}
	}
}
