package jobs

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// stamp is how a backup's start is written in these tests: the wall clock
// and the offset it had in the zone at hand, so an hour repeated when
// daylight saving time ends can be told apart.
const stamp = "2006-01-02 15:04-07"

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("time zone %s: %v", name, err)
	}
	return loc
}

// backupsAt makes verified backups named by their stamps. Each stamp must be
// how written (a zone) shows that instant, so a wrong offset in a test is
// caught rather than silently meaning another time.
func backupsAt(t *testing.T, written *time.Location, stamps []string) []Manifest {
	t.Helper()
	out := make([]Manifest, 0, len(stamps))
	for _, s := range stamps {
		at, err := time.Parse(stamp, s)
		if err != nil {
			t.Fatalf("bad stamp %q: %v", s, err)
		}
		if shown := at.In(written).Format(stamp); shown != s {
			t.Fatalf("%q is %q in %s: fix the test's offset", s, shown, written)
		}
		out = append(out, Manifest{Name: s, Start: at, Kind: KindDaily, Verified: true})
	}
	return out
}

// series is n stamps from the first, every step of real time, as shown in loc.
func series(t *testing.T, loc *time.Location, first string, step time.Duration, n int) []string {
	t.Helper()
	at, err := time.Parse(stamp, first)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, n)
	for i := range out {
		out[i] = at.Add(time.Duration(i) * step).In(loc).Format(stamp)
	}
	return out
}

// newestFirst reverses a series (oldest first) into the order verdicts come in.
func newestFirst(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

func tallyText(tl Tally) string {
	var parts []string
	for _, c := range tl.Tiers {
		parts = append(parts, fmt.Sprintf("%s %d/%d", c.Tier, c.Kept, c.Keep))
	}
	if tl.Newest {
		parts = append(parts, "newest")
	}
	return strings.Join(parts, " · ")
}

func TestRetentionApply(t *testing.T) {
	utc := time.UTC
	msk, nyc := zone(t, "Europe/Moscow"), zone(t, "America/New_York")

	// 120 days of one backup a day at 03:00 UTC from 2026-01-01: what a
	// single-database daily setup has always kept.
	days120 := series(t, utc, "2026-01-01 03:00+00", 24*time.Hour, 120)
	// Feb 1 to Mar 5: the month's first is within the newest 7 days.
	febToMar := series(t, utc, "2026-02-01 03:00+00", 24*time.Hour, 33)
	// New York, every real hour across the 23-hour 8 March 2026 (02:00 EST
	// became 03:00 EDT): 23:00 on the 7th to 01:00 on the 9th.
	springNY := series(t, nyc, "2026-03-07 23:00-05", time.Hour, 26)
	// New York, every real hour across the 25-hour 1 November 2026 (01:00
	// to 02:00 EDT came again as EST): 00:00 on the 1st to 00:00 on the 2nd.
	fallNY := series(t, nyc, "2026-11-01 00:00-04", time.Hour, 26)
	// Moscow, every hour from Wednesday 25 February to Wednesday 4 March 2026.
	hourlyMSK := series(t, msk, "2026-02-25 00:00+03", time.Hour, 8*24)
	at := func(s []string, i int) string { return s[i] }

	tests := []struct {
		name    string
		written *time.Location // the zone the stamps are written in; nil: the policy's
		give    []string
		policy  Retention
		want    []string          // kept, newest first
		why     map[string]string // some verdicts' reasons
		tally   string
	}{
		{
			name: "7 daily and 4 monthly from 120 days", give: days120, policy: Retention{KeepDaily: 7, KeepMonthly: 4},
			want: []string{"2026-04-30 03:00+00", "2026-04-29 03:00+00", "2026-04-28 03:00+00", "2026-04-27 03:00+00",
				"2026-04-26 03:00+00", "2026-04-25 03:00+00", "2026-04-24 03:00+00",
				"2026-04-01 03:00+00", "2026-03-01 03:00+00", "2026-02-01 03:00+00", "2026-01-01 03:00+00"},
			why: map[string]string{
				"2026-04-30 03:00+00": "daily 1/7",
				"2026-04-01 03:00+00": "monthly 1/4",
				"2026-04-23 03:00+00": "an earlier one stands for its month; beyond the newest 7 days",
				"2026-01-02 03:00+00": "an earlier one stands for its month; beyond the newest 7 days",
			},
			tally: "daily 7/7 · monthly 4/4",
		},
		{
			// Before GFS the month's first was no daily: 7 others were kept
			// beside it (Feb 26 too). Now it is one of the 7 days as well.
			name: "the month's first counts as one of the days", give: febToMar, policy: Retention{KeepDaily: 7, KeepMonthly: 4},
			want: []string{"2026-03-05 03:00+00", "2026-03-04 03:00+00", "2026-03-03 03:00+00", "2026-03-02 03:00+00",
				"2026-03-01 03:00+00", "2026-02-28 03:00+00", "2026-02-27 03:00+00", "2026-02-01 03:00+00"},
			why:   map[string]string{"2026-03-01 03:00+00": "daily 5/7 · monthly 1/4"},
			tally: "daily 7/7 · monthly 2/4",
		},
		{
			name: "two a day: the newest of each day, the month's first", policy: Retention{KeepDaily: 2, KeepMonthly: 1},
			give: []string{"2026-03-01 03:00+00", "2026-03-01 15:00+00", "2026-03-02 03:00+00", "2026-03-02 15:00+00"},
			want: []string{"2026-03-02 15:00+00", "2026-03-01 15:00+00", "2026-03-01 03:00+00"},
			why: map[string]string{"2026-03-02 03:00+00": "a newer one stands for its day; an earlier one stands for its month",
				"2026-03-01 15:00+00": "daily 2/2"},
			tally: "daily 2/2 · monthly 1/1",
		},
		{
			name: "newest kept even when every count is 0", policy: Retention{},
			give:  []string{"2026-01-01 03:00+00", "2026-01-02 03:00+00"},
			want:  []string{"2026-01-02 03:00+00"},
			why:   map[string]string{"2026-01-02 03:00+00": "newest backup, always kept", "2026-01-01 03:00+00": "every keep count is 0: only the newest backup is kept"},
			tally: "newest",
		},
		{
			name: "monthly alone: the newest is kept besides the months' firsts", policy: Retention{KeepMonthly: 2},
			give:  []string{"2026-01-01 03:00+00", "2026-01-09 03:00+00", "2026-02-01 03:00+00", "2026-02-05 03:00+00", "2026-02-09 03:00+00"},
			want:  []string{"2026-02-09 03:00+00", "2026-02-01 03:00+00", "2026-01-01 03:00+00"},
			why:   map[string]string{"2026-02-09 03:00+00": "newest backup, always kept", "2026-02-05 03:00+00": "an earlier one stands for its month"},
			tally: "monthly 2/2 · newest",
		},
		{
			name: "monthly alone, the newest is its month's first", policy: Retention{KeepMonthly: 1},
			give: []string{"2026-01-31 03:00+00", "2026-02-01 03:00+00"}, want: []string{"2026-02-01 03:00+00"},
			why: map[string]string{"2026-01-31 03:00+00": "beyond the newest month"}, tally: "monthly 1/1",
		},
		{
			name: "nothing to do", policy: Retention{KeepDaily: 7, KeepMonthly: 4},
			give: []string{"2026-01-01 03:00+00"}, want: []string{"2026-01-01 03:00+00"}, tally: "daily 1/7 · monthly 1/4",
		},
		{name: "empty", policy: Retention{KeepDaily: 7, KeepMonthly: 4}, tally: "daily 0/7 · monthly 0/4"},
		{
			// 20:59 and 21:01 UTC: either side of midnight in Moscow.
			name: "Moscow midnight splits the day", policy: Retention{KeepDaily: 2, Location: msk},
			give: []string{"2026-03-01 23:59+03", "2026-03-02 00:01+03"}, want: []string{"2026-03-02 00:01+03", "2026-03-01 23:59+03"},
		},
		{
			name: "the same two in UTC are one day", written: msk, policy: Retention{KeepDaily: 2},
			give: []string{"2026-03-01 23:59+03", "2026-03-02 00:01+03"}, want: []string{"2026-03-02 00:01+03"},
			why: map[string]string{"2026-03-01 23:59+03": "a newer one stands for its day"}, tally: "daily 1/2",
		},
		{
			name: "ISO weeks start on Monday in Moscow", policy: Retention{KeepWeekly: 2, Location: msk},
			give: []string{"2026-02-28 12:00+03", "2026-03-01 23:30+03", "2026-03-02 00:30+03"},
			want: []string{"2026-03-02 00:30+03", "2026-03-01 23:30+03"},
			why:  map[string]string{"2026-02-28 12:00+03": "a newer one stands for its week"},
		},
		{
			// 2026's ISO week 53 runs Monday 28 December to Sunday 3 January.
			name: "a week across the new year, in Moscow", policy: Retention{KeepWeekly: 2, KeepMonthly: 2, Location: msk},
			give: []string{"2026-12-28 10:00+03", "2026-12-31 23:30+03", "2027-01-01 00:30+03", "2027-01-03 23:59+03", "2027-01-04 00:30+03"},
			want: []string{"2027-01-04 00:30+03", "2027-01-03 23:59+03", "2027-01-01 00:30+03", "2026-12-28 10:00+03"},
			why: map[string]string{"2027-01-03 23:59+03": "weekly 2/2", "2027-01-01 00:30+03": "monthly 1/2",
				"2026-12-28 10:00+03": "monthly 2/2",
				"2026-12-31 23:30+03": "a newer one stands for its week; an earlier one stands for its month"},
			tally: "weekly 2/2 · monthly 2/2",
		},
		{
			// 22:00 in New York is 03:00 UTC the next day.
			name: "New York's evenings belong to their own month and year", policy: Retention{KeepDaily: 1, KeepMonthly: 2, Location: nyc},
			give: []string{"2026-12-30 22:00-05", "2026-12-31 22:00-05", "2027-01-01 22:00-05", "2027-01-02 22:00-05"},
			want: []string{"2027-01-02 22:00-05", "2027-01-01 22:00-05", "2026-12-30 22:00-05"},
			why:  map[string]string{"2026-12-31 22:00-05": "an earlier one stands for its month; beyond the newest day"},
		},
		{
			name: "the same evenings in UTC fall in the next day's month", written: nyc, policy: Retention{KeepDaily: 1, KeepMonthly: 2},
			give: []string{"2026-12-30 22:00-05", "2026-12-31 22:00-05", "2027-01-01 22:00-05", "2027-01-02 22:00-05"},
			want: []string{"2027-01-02 22:00-05", "2026-12-31 22:00-05", "2026-12-30 22:00-05"},
		},
		{
			name: "a 23-hour day in New York: one daily, hours as they were", policy: Retention{KeepDaily: 3, Location: nyc},
			give: springNY, want: []string{"2026-03-09 01:00-04", "2026-03-08 23:00-04", "2026-03-07 23:00-05"},
			tally: "daily 3/3",
		},
		{
			// The newest 24 hours, back from 01:00 on the 9th, reach 01:00 EST
			// on the 8th: 02:00 never was.
			name: "hourly across the skipped hour", policy: Retention{KeepHourly: 24, KeepDaily: 2, Location: nyc},
			give: springNY, want: newestFirst(springNY[2:]),
			why: map[string]string{
				"2026-03-09 01:00-04": "hourly 1/24 · daily 1/2", "2026-03-08 23:00-04": "hourly 3/24 · daily 2/2",
				"2026-03-08 03:00-04": "hourly 23/24", "2026-03-08 01:00-05": "hourly 24/24",
				"2026-03-08 00:00-05": "a newer one stands for its day; beyond the newest 24 hours",
				"2026-03-07 23:00-05": "beyond the newest 24 hours and 2 days",
			},
			tally: "hourly 24/24 · daily 2/2",
		},
		{
			name: "the skipped hour: 01:59 and 03:00 are a minute and two hours apart", policy: Retention{KeepHourly: 3, Location: nyc},
			give: []string{"2026-03-08 01:00-05", "2026-03-08 01:59-05", "2026-03-08 03:00-04", "2026-03-08 03:30-04"},
			want: []string{"2026-03-08 03:30-04", "2026-03-08 01:59-05"},
			why:  map[string]string{"2026-03-08 03:00-04": "a newer one stands for its hour", "2026-03-08 01:00-05": "a newer one stands for its hour"},
		},
		{
			name: "a 25-hour day in New York: one daily, 25 hours", policy: Retention{KeepHourly: 25, KeepDaily: 2, Location: nyc},
			give: fallNY, want: newestFirst(fallNY[1:]),
			why: map[string]string{
				"2026-11-02 00:00-05": "hourly 1/25 · daily 1/2", "2026-11-01 23:00-05": "hourly 2/25 · daily 2/2",
				"2026-11-01 01:00-05": "hourly 24/25", "2026-11-01 01:00-04": "hourly 25/25",
				"2026-11-01 00:00-04": "a newer one stands for its day; beyond the newest 25 hours",
			},
			tally: "hourly 25/25 · daily 2/2",
		},
		{
			name: "the repeated hour is two hours", policy: Retention{KeepHourly: 2, Location: nyc},
			give: []string{"2026-11-01 01:30-04", "2026-11-01 01:30-05", "2026-11-01 01:45-05"},
			want: []string{"2026-11-01 01:45-05", "2026-11-01 01:30-04"},
			why:  map[string]string{"2026-11-01 01:30-05": "a newer one stands for its hour", "2026-11-01 01:30-04": "hourly 2/2"},
		},
		{
			name: "hourly backups kept by every tier", policy: Retention{KeepHourly: 24, KeepDaily: 7, KeepWeekly: 2, KeepMonthly: 2, Location: msk},
			give: hourlyMSK,
			want: append(newestFirst(hourlyMSK[7*24:]), // 4 March, every hour
				"2026-03-03 23:00+03", "2026-03-02 23:00+03", "2026-03-01 23:00+03", "2026-03-01 00:00+03",
				"2026-02-28 23:00+03", "2026-02-27 23:00+03", "2026-02-26 23:00+03", "2026-02-25 00:00+03"),
			why: map[string]string{
				"2026-03-04 23:00+03": "hourly 1/24 · daily 1/7 · weekly 1/2",
				"2026-03-04 00:00+03": "hourly 24/24",
				"2026-03-01 23:00+03": "daily 4/7 · weekly 2/2",
				"2026-03-01 00:00+03": "monthly 1/2",
				"2026-02-25 00:00+03": "monthly 2/2",
				"2026-02-25 23:00+03": "a newer one stands for its week; an earlier one stands for its month; beyond the newest 24 hours and 7 days",
				at(hourlyMSK, 7*24-2): "a newer one stands for its day and week; an earlier one stands for its month; beyond the newest 24 hours",
			},
			tally: "hourly 24/24 · daily 7/7 · weekly 2/2 · monthly 2/2",
		},
		{
			name: "0 counts: weekly alone", policy: Retention{KeepWeekly: 1, Location: msk},
			give: hourlyMSK[7*24:], want: []string{"2026-03-04 23:00+03"}, tally: "weekly 1/1",
			why: map[string]string{"2026-03-04 22:00+03": "a newer one stands for its week"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			written := cmpLoc(tt.written, tt.policy.Location)
			give := backupsAt(t, written, tt.give)
			got := tt.policy.Apply(give)
			var kept []string
			for _, v := range got {
				if v.Keep {
					kept = append(kept, v.Backup.Name)
				} else if v.Why == "" {
					t.Errorf("%s deleted without a reason", v.Backup.Name)
				}
			}
			if !slices.Equal(kept, tt.want) {
				t.Fatalf("kept %q,\nwant %q", kept, tt.want)
			}
			for name, want := range tt.why {
				i := slices.IndexFunc(got, func(v Verdict) bool { return v.Backup.Name == name })
				if i < 0 {
					t.Fatalf("no verdict on %s", name)
				}
				if got[i].Why != want {
					t.Errorf("%s: why %q, want %q", name, got[i].Why, want)
				}
			}
			if tt.tally != "" {
				if tl := tallyText(tt.policy.Tally(got)); tl != tt.tally {
					t.Errorf("tally %q, want %q", tl, tt.tally)
				}
			}
			// A pure function of its input: the order it is given in changes nothing.
			reversed := slices.Clone(give)
			slices.Reverse(reversed)
			if again := tt.policy.Apply(reversed); fmt.Sprint(again) != fmt.Sprint(got) {
				t.Errorf("another order of the same backups gave other verdicts")
			}
		})
	}
}

func cmpLoc(a, b *time.Location) *time.Location {
	if a != nil {
		return a
	}
	if b != nil {
		return b
	}
	return time.UTC
}

// The newest backup is kept whatever the policy and whatever else there is.
func TestRetentionKeepsTheNewest(t *testing.T) {
	msk := zone(t, "Europe/Moscow")
	give := backupsAt(t, msk, series(t, msk, "2026-01-30 22:00+03", 7*time.Hour, 40))
	policies := []Retention{{}, {KeepMonthly: 1}, {KeepWeekly: 1}, {KeepHourly: 1}, {KeepDaily: 1, KeepMonthly: 12},
		{KeepHourly: 24, KeepDaily: 14, KeepWeekly: 8, KeepMonthly: 12}}
	for _, p := range policies {
		for _, loc := range []*time.Location{nil, msk, zone(t, "America/New_York")} {
			p.Location = loc
			t.Run(fmt.Sprintf("%+v", p), func(t *testing.T) {
				got := p.Apply(give)
				if len(got) != len(give) || !got[0].Keep || got[0].Backup.Name != give[len(give)-1].Name {
					t.Fatalf("the newest is not kept first: %+v", got[0])
				}
				for _, v := range got[1:] {
					if v.Keep != (len(v.Tiers) > 0) {
						t.Errorf("%s kept %v by tiers %v", v.Backup.Name, v.Keep, v.Tiers)
					}
				}
			})
		}
	}
}

func TestKindFor(t *testing.T) {
	berlin, nyc := zone(t, "Europe/Berlin"), zone(t, "America/New_York")
	monthly := Manifest{Kind: KindMonthly, Start: time.Date(2026, 3, 1, 0, 30, 0, 0, time.UTC)}
	tests := []struct {
		name     string
		existing []Manifest
		start    time.Time
		loc      *time.Location
		want     string
	}{
		{"first ever", nil, time.Date(2026, 3, 5, 3, 0, 0, 0, time.UTC), time.UTC, KindMonthly},
		{"month has one", []Manifest{monthly}, time.Date(2026, 3, 5, 3, 0, 0, 0, time.UTC), time.UTC, KindDaily},
		{"new month", []Manifest{monthly}, time.Date(2026, 4, 1, 3, 0, 0, 0, time.UTC), time.UTC, KindMonthly},
		// 2026-02-28 23:30 UTC is already March 1st in Berlin.
		{"time zone decides the month", []Manifest{{Kind: KindMonthly, Start: time.Date(2026, 2, 28, 23, 30, 0, 0, time.UTC)}},
			time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC), berlin, KindDaily},
		// The monthly tier keeps a month's first backup, whatever its label:
		// a later one is not the month's, even if the first was labelled daily.
		{"the month's first, labelled daily", []Manifest{{Kind: KindDaily, Start: time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)}},
			time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC), time.UTC, KindDaily},
		// 2026-02-01 04:30 UTC is still January 31st in New York.
		{"New York's January", []Manifest{{Kind: KindMonthly, Start: time.Date(2026, 1, 5, 3, 0, 0, 0, time.UTC)}},
			time.Date(2026, 2, 1, 4, 30, 0, 0, time.UTC), nyc, KindDaily},
		{"the same in UTC is February's first", []Manifest{{Kind: KindMonthly, Start: time.Date(2026, 1, 5, 3, 0, 0, 0, time.UTC)}},
			time.Date(2026, 2, 1, 4, 30, 0, 0, time.UTC), nil, KindMonthly},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := KindFor(tt.existing, tt.start, tt.loc); got != tt.want {
				t.Fatalf("KindFor = %s, want %s", got, tt.want)
			}
		})
	}
}

// A backup's retention reads SCHEDULE_TZ (BackupConfig.Location) unless the
// policy names its own calendar; with neither, UTC.
func TestBackupPolicyCalendar(t *testing.T) {
	msk, nyc := zone(t, "Europe/Moscow"), zone(t, "America/New_York")
	tests := []struct {
		name          string
		schedule, own *time.Location
		want          *time.Location
	}{
		{"SCHEDULE_TZ", msk, nil, msk},
		{"the policy's own", msk, nyc, nyc},
		{"neither", nil, nil, time.UTC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &Backup{Config: BackupConfig{Location: tt.schedule, Retention: Retention{KeepDaily: 7, Location: tt.own}}}
			if got := b.policy(); got.Location != tt.want || got.KeepDaily != 7 {
				t.Fatalf("policy %+v, want its calendar in %s", got, tt.want)
			}
		})
	}
}

// Day after day, as backup runs do it: label with KindFor, then keep what
// Apply keeps. Before GFS, BACKUP_KEEP_MONTHLY=0 lost every other day: the
// month's first was deleted, the next backup was labelled monthly in its
// place, and so on.
func TestRetentionDayByDay(t *testing.T) {
	msk := zone(t, "Europe/Moscow")
	tests := []struct {
		name   string
		policy Retention
		want   []string
	}{
		{"7 daily, no monthly", Retention{KeepDaily: 7, Location: msk},
			[]string{"03-12", "03-11", "03-10", "03-09", "03-08", "03-07", "03-06"}},
		{"3 daily, 2 monthly", Retention{KeepDaily: 3, KeepMonthly: 2, Location: msk},
			[]string{"03-12", "03-11", "03-10", "03-01", "02-20"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var have []Manifest
			for d := 0; d < 21; d++ {
				start := time.Date(2026, 2, 20+d, 3, 0, 0, 0, msk)
				m := Manifest{Name: start.Format("01-02"), Start: start, Kind: KindFor(have, start, msk), Verified: true}
				verdicts := tt.policy.Apply(append([]Manifest{m}, have...))
				have = nil
				for _, v := range verdicts {
					if v.Keep {
						have = append(have, v.Backup)
					}
				}
			}
			var kept []string
			for _, m := range have {
				kept = append(kept, m.Name)
			}
			if !slices.Equal(kept, tt.want) {
				t.Fatalf("kept %v, want %v", kept, tt.want)
			}
		})
	}
}
