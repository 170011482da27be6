package render

import (
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/jobs"
)

// Retention's tally names only the tiers that keep something, hourly to
// monthly, in the backup report and the daily summary alike.
func TestRetentionTally(t *testing.T) {
	tests := []struct {
		name    string
		give    jobs.Tally
		want    string
		notWant []string
	}{
		{"today's defaults", jobs.Tally{Tiers: []jobs.TierCount{{Tier: jobs.TierDaily, Kept: 7, Keep: 7}, {Tier: jobs.TierMonthly, Kept: 2, Keep: 4}}},
			"daily 7/7 · monthly 2/4", []string{"hourly 0", "weekly 0", "newest"}},
		{"every tier", jobs.Tally{Tiers: []jobs.TierCount{{Tier: jobs.TierHourly, Kept: 24, Keep: 24}, {Tier: jobs.TierDaily, Kept: 14, Keep: 14},
			{Tier: jobs.TierWeekly, Kept: 3, Keep: 8}, {Tier: jobs.TierMonthly, Kept: 1, Keep: 12}}},
			"hourly 24/24 · daily 14/14 · weekly 3/8 · monthly 1/12", nil},
		{"monthly alone, the newest besides", jobs.Tally{Tiers: []jobs.TierCount{{Tier: jobs.TierMonthly, Kept: 1, Keep: 4}}, Newest: true},
			"monthly 1/4 · newest", []string{"daily 0"}},
		{"every count 0", jobs.Tally{Newest: true}, "only the newest backup (every keep count is 0)", nil},
	}
	for _, tt := range tests {
		for _, f := range []Format{HTML, Plain} {
			t.Run(tt.name+formatName(f), func(t *testing.T) {
				at := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)
				m := jobs.Manifest{Name: "wa-20261130T030000Z", Database: "wa", Start: at.Add(-3 * time.Hour), Kind: jobs.KindDaily, Verified: true}
				backup := Backup(jobs.BackupReport{Manifest: m, Kept: tt.give}, f)
				assertWords(t, words(backup, f), []string{"Retention", tt.want}, tt.notWant)
				summary := Summary(jobs.SummaryReport{At: at, LastBackup: &m, Kept: tt.give}, f)
				assertWords(t, words(summary, f), []string{tt.want}, tt.notWant)
			})
		}
	}
}
