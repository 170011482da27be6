package render

import (
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/jobs"
)

var offsiteNow = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

// goodBackup is a verified backup's report with the given remotes' outcomes.
func goodBackup(remotes ...jobs.RemoteOutcome) jobs.BackupReport {
	m := jobs.Manifest{Name: "wa-20261130T030000Z", Database: "wa", Kind: jobs.KindDaily, Verified: true,
		Start: offsiteNow.Add(-6 * time.Hour), CompressedBytes: 812_000_000, RawBytes: 3_000_000_000, Duration: time.Minute}
	return jobs.BackupReport{Manifest: m, Remotes: remotes, Policy: jobs.Retention{KeepDaily: 7, KeepMonthly: 4}}
}

var (
	mskOK = jobs.RemoteOutcome{Remote: "msk", Bytes: 812_000_000, Duration: 12 * time.Second,
		Copy:   &jobs.RemoteCopy{Remote: "msk", Size: 812_000_000, Encrypted: true, Verified: true, VerifiedBy: "read back"},
		Filled: []string{"wa-20261129T030000Z", "wa-20261128T030000Z"},
		Kept:   keepVerdicts(14, 1), Deleted: []string{"wa-20261101T030000Z"}}
	spbDown = jobs.RemoteOutcome{Remote: "spb", Missing: 3,
		Error: "access denied to bucket pgk-spb: the key may not write there; give it s3:PutObject"}
)

func keepVerdicts(keep, drop int) []jobs.Verdict {
	var v []jobs.Verdict
	for range keep {
		v = append(v, jobs.Verdict{Keep: true})
	}
	for range drop {
		v = append(v, jobs.Verdict{Keep: false})
	}
	return v
}

// TestBackupReportRemotes: one line per remote, and a failed remote opens
// the report with what failed, that the backup here is safe, and what to do.
func TestBackupReportRemotes(t *testing.T) {
	tests := []struct {
		name      string
		give      jobs.BackupReport
		wantFirst string // the report's first line of words
		want      []string
		notWant   []string
	}{
		{"no remote configured", goodBackup(), "Backup verified · wa", nil,
			[]string{"Off-site", "✗", "✓"}},
		{"one remote, all well", goodBackup(mskOK), "Backup verified · wa",
			[]string{"Off-site copies\n", "msk ✓ 812 MB encrypted, checked by read back · 2 older copies filled · retention: kept 14, deleted 1 · 12.0 s\n"},
			[]string{"FAILED", "✗"}},
		{"one copy made in plain, checked by the store", goodBackup(jobs.RemoteOutcome{Remote: "remote",
			Copy: &jobs.RemoteCopy{Size: 1000, Verified: true, VerifiedBy: "store checksum"}}), "Backup verified · wa",
			[]string{"remote ✓ 1.00 kB, checked by store checksum\n"}, []string{"encrypted", "retention:", "filled"}},
		{"one remote failed", goodBackup(mskOK, spbDown), "Off-site copy FAILED · spb",
			[]string{"spb: access denied to bucket pgk-spb", "The backup itself is verified and kept here",
				"What to do:", "pgkeeper check", "Backup verified · wa", "msk ✓ 812 MB",
				"spb ✗ access denied to bucket pgk-spb: the key may not write there; give it s3:PutObject · 3 verified backups still missing there"},
			nil},
		{"both failed", goodBackup(jobs.RemoteOutcome{Remote: "msk", Error: "unreachable: dial tcp: refused"}, spbDown),
			"Off-site copy FAILED · msk, spb", []string{"msk: unreachable", "spb: access denied"}, []string{"✓ 812"}},
		{"the remote package's reason names the remote once", goodBackup(jobs.RemoteOutcome{Remote: "spb",
			Error: "remote spb: put wa.dump.zst: wrong credentials: check this remote's keys"}), "Off-site copy FAILED · spb",
			[]string{"spb: put wa.dump.zst: wrong credentials", "spb ✗ put wa.dump.zst: wrong credentials"}, []string{"remote spb:"}},
		{"retention left to the bucket", goodBackup(jobs.RemoteOutcome{Remote: "msk", Copy: &jobs.RemoteCopy{Size: 5, Verified: true},
			Note: "retention left to the bucket's lifecycle rules: the key may not delete"}), "Backup verified · wa",
			[]string{"msk ✓ 5 B\n", "    retention left to the bucket's lifecycle rules"}, []string{"FAILED"}},
		{"a failed local backup says nothing of remotes", jobs.BackupReport{Database: "wa", FailedAt: "pg_dump",
			Error: "pg_dump: exit status 1", Remotes: []jobs.RemoteOutcome{spbDown}}, "Backup FAILED · wa",
			nil, []string{"Off-site", "spb"}},
	}
	for _, tt := range tests {
		for _, f := range []Format{HTML, Plain} {
			t.Run(tt.name+formatName(f), func(t *testing.T) {
				got := words(Backup(tt.give, f), f)
				first, _, _ := strings.Cut(got, "\n")
				if !strings.Contains(first, tt.wantFirst) {
					t.Errorf("opens with %q, want %q:\n%s", first, tt.wantFirst, got)
				}
				assertWords(t, got, tt.want, tt.notWant)
			})
		}
	}
}

func TestBackupProgressWhileUploading(t *testing.T) {
	tests := []struct {
		name string
		give jobs.BackupProgress
		want string
	}{
		{"size known", jobs.BackupProgress{Step: "uploading to msk", Remote: "msk", Sent: 370_000_000, Size: 812_000_000,
			RawBytes: 5_000_000_000, Elapsed: time.Minute}, "Backup running · uploading to msk 45% (370 MB of 812 MB) · 1 min 0 s"},
		{"just started", jobs.BackupProgress{Step: "uploading to msk", Remote: "msk", Size: 812_000_000}, "uploading to msk 0% (0 B of 812 MB)"},
		{"size unknown while the dump is written", jobs.BackupProgress{Step: "uploading to spb", Remote: "spb", Sent: 2_000_000, Size: -1},
			"Backup running · uploading to spb (2.00 MB sent)"},
		{"a step not naming the remote", jobs.BackupProgress{Step: "uploading", Remote: "spb", Sent: 2_000_000, Size: 4_000_000},
			"Backup running · uploading · spb 50% (2.00 MB of 4.00 MB)"},
		{"another step on a remote", jobs.BackupProgress{Step: "applying retention on msk", Remote: "msk"},
			"Backup running · applying retention on msk · "},
		{"not uploading", jobs.BackupProgress{Step: "dumping", RawBytes: 1_000_000, Written: 500_000, Elapsed: time.Second},
			"dumping · 1.00 MB read, 500 kB written"},
	}
	for _, tt := range tests {
		for _, f := range []Format{HTML, Plain} {
			t.Run(tt.name+formatName(f), func(t *testing.T) {
				got := words(BackupProgress(tt.give, f), f)
				assertWords(t, got, []string{tt.want}, nil)
				if tt.give.Remote != "" && (strings.Contains(got, " read, ") || strings.Count(got, tt.give.Remote) != 1) {
					t.Errorf("an upload's progress repeats the dump's figures or the remote's name: %s", got)
				}
			})
		}
	}
}

// A remote failure is never a brief success.
func TestBackupBriefRemotes(t *testing.T) {
	tests := []struct {
		name    string
		give    jobs.BackupReport
		want    []string
		notWant []string
	}{
		{"no remote", goodBackup(), []string{"✅ Backup verified · wa"}, []string{"✓", "✗"}},
		{"all well", goodBackup(mskOK), []string{"✅ Backup verified · wa", "· msk ✓"}, []string{"✗", "FAILED"}},
		{"one failed", goodBackup(mskOK, spbDown), []string{"Off-site copy FAILED", "msk ✓ spb ✗"}, []string{"✅"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertWords(t, BackupBrief(tt.give), tt.want, tt.notWant)
		})
	}
}

// /backups says, for each backup, where it lives and whether each copy was
// verified.
func TestBackupsWhereEachLives(t *testing.T) {
	m := func(name string, copies ...jobs.RemoteCopy) jobs.Manifest {
		return jobs.Manifest{Name: name, Database: "wa", Kind: jobs.KindDaily, Start: offsiteNow.Add(-time.Hour), Verified: true, Remotes: copies}
	}
	tests := []struct {
		name       string
		give       jobs.Manifest
		configured []string
		want       string // the backup's "where" line; "" wants none
	}{
		{"no remotes at all", m("wa-20261130T080000Z"), nil, ""},
		{"both verified", m("wa-20261130T080000Z", jobs.RemoteCopy{Remote: "msk", Verified: true}, jobs.RemoteCopy{Remote: "spb", Verified: true}),
			[]string{"msk", "spb"}, "local ✓ · msk ✓ · spb ✓"},
		{"one failed", m("wa-20261130T080000Z", jobs.RemoteCopy{Remote: "msk", Verified: true},
			jobs.RemoteCopy{Remote: "spb", Error: "unreachable: dial tcp 10.0.0.1:443: i/o timeout"}),
			[]string{"msk", "spb"}, "local ✓ · msk ✓ · spb ✗ unreachable: dial tcp 10.0.0.1:443: i/o timeout"},
		{"a long reason, shortened", m("wa-20261130T080000Z", jobs.RemoteCopy{Remote: "spb",
			Error: "remote spb: put wa.dump.zst: " + strings.Repeat("x", 200)}),
			nil, "local ✓ · spb ✗ put wa.dump.zst: " + strings.Repeat("x", 120-len("put wa.dump.zst: ")) + "…"},
		{"uploaded, never checked", m("wa-20261130T080000Z", jobs.RemoteCopy{Remote: "msk"}), nil, "local ✓ · msk ✗ not verified"},
		{"made before the remote was configured", m("wa-20261130T080000Z"), []string{"msk"}, "local ✓ · msk – not copied yet"},
		{"a remote no longer configured still shows", m("wa-20261130T080000Z", jobs.RemoteCopy{Remote: "old", Verified: true}),
			[]string{"msk"}, "local ✓ · old ✓ · msk – not copied yet"},
	}
	for _, tt := range tests {
		for _, f := range []Format{HTML, Plain} {
			t.Run(tt.name+formatName(f), func(t *testing.T) {
				got := words(Backups(jobs.Listing{Backups: []jobs.Manifest{tt.give}}, 1<<30, offsiteNow, f, tt.configured...), f)
				if tt.want == "" {
					assertWords(t, got, nil, []string{"local ✓"})
					return
				}
				assertWords(t, got, []string{"     " + tt.want + "\n"}, nil)
			})
		}
	}
}

// /status shows each remote's newest verified copy and its age, with a
// warning past BACKUP_MAX_AGE_HOURS, and says when the figures come from
// the local records because the bucket did not answer.
func TestStatusRemotes(t *testing.T) {
	copyOn := func(name string, age time.Duration, encrypted bool) *jobs.Manifest {
		return &jobs.Manifest{Start: offsiteNow.Add(-age), Remotes: []jobs.RemoteCopy{{Remote: name, Verified: true, Encrypted: encrypted}}}
	}
	tests := []struct {
		name    string
		give    jobs.RemoteStatus
		want    []string
		notWant []string
	}{
		{"listed, fresh", jobs.RemoteStatus{Name: "msk", Where: "s3://pgk/prod", Listed: true, Newest: copyOn("msk", 3*time.Hour, true), Copies: 14},
			[]string{"[ok]   msk · s3://pgk/prod · newest verified copy 3 h 0 min old (encrypted) · 14 copies"}, []string{"[warn]", "local records"}},
		{"listed, stale", jobs.RemoteStatus{Name: "msk", Where: "s3://pgk", Listed: true, Newest: copyOn("msk", 50*time.Hour, false), Copies: 1, Stale: true},
			[]string{"[warn] msk · s3://pgk · newest verified copy 2 d 2 h old · 1 copy"}, []string{"encrypted"}},
		{"listed, empty", jobs.RemoteStatus{Name: "spb", Where: "s3://b", Listed: true, Stale: true},
			[]string{"[warn] spb · s3://b · no verified copy"}, nil},
		{"listed, with broken copies", jobs.RemoteStatus{Name: "spb", Where: "s3://b", Listed: true, Newest: copyOn("spb", time.Hour, false), Copies: 2, Broken: 1},
			[]string{"[warn] spb · s3://b · newest verified copy 1 h 0 min old · 2 copies · 1 broken"}, nil},
		{"unreachable, local records", jobs.RemoteStatus{Name: "spb", Where: "s3://b", Error: "no answer within 10s",
			Newest: copyOn("spb", 3*time.Hour, false), Copies: 4},
			[]string{"[warn] spb · s3://b · could not be listed: no answer within 10s",
				"    from the local records, not checked now: newest verified copy 3 h 0 min old · 4 copies"}, nil},
		{"unreachable, no records", jobs.RemoteStatus{Name: "spb", Where: "s3://b", Error: "refused", Stale: true},
			[]string{"from the local records, not checked now: no verified copy"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := jobs.StatusReport{At: offsiteNow, Remotes: []jobs.RemoteStatus{tt.give}}
			got := words(Status(r, Plain), Plain)
			_, section, ok := strings.Cut(got, "\nRemotes\n")
			if !ok {
				t.Fatalf("no Remotes section:\n%s", got)
			}
			assertWords(t, section, tt.want, tt.notWant)
			html := words(Status(r, HTML), HTML)
			assertWords(t, html, []string{tt.give.Name + " · " + tt.give.Where}, nil)
		})
	}
	t.Run("no remotes configured", func(t *testing.T) {
		assertWords(t, Status(jobs.StatusReport{At: offsiteNow}, Plain), nil, []string{"Remotes"})
	})
}

// The daily summary counts the copies on each remote.
func TestSummaryRemotes(t *testing.T) {
	newest := &jobs.Manifest{Start: offsiteNow.Add(-3 * time.Hour)}
	tests := []struct {
		name string
		give []jobs.RemoteStatus
		want []string
	}{
		{"none configured", nil, nil},
		{"listed", []jobs.RemoteStatus{{Name: "msk", Listed: true, Copies: 14, Newest: newest}},
			[]string{"[ok]   msk: 14 copies, newest 3 h 0 min old\n"}},
		{"one copy, one broken", []jobs.RemoteStatus{{Name: "msk", Listed: true, Copies: 1, Newest: newest, Broken: 1}},
			[]string{"[warn] msk: 1 copy, newest 3 h 0 min old, 1 broken\n"}},
		{"empty", []jobs.RemoteStatus{{Name: "spb", Listed: true, Stale: true}}, []string{"[warn] spb: 0 copies\n"}},
		{"unreachable", []jobs.RemoteStatus{{Name: "spb", Copies: 3, Newest: newest, Error: "refused"}},
			[]string{"[warn] spb: 3 copies, newest 3 h 0 min old (unreachable now: from the local records)\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := words(Summary(jobs.SummaryReport{At: offsiteNow, Remotes: tt.give}, Plain), Plain)
			assertWords(t, got, tt.want, nil)
			if tt.give == nil {
				assertWords(t, got, nil, []string{"copies", "copy"})
			}
		})
	}
}
