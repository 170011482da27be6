package jobs

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Retention is how many backups to keep, grandfather-father-son: four tiers,
// each with its own keep count. The same policy value judges BACKUP_DIR and
// each remote's listing; only the counts differ.
//
// The rule. For each tier whose keep count N is above 0, backups are put in
// buckets by the tier's period, read in Location: the hour (the hour repeated
// when daylight saving time ends is two), the calendar day (23 or 25 hours
// long on DST days), the ISO week (Monday to Sunday, numbered in its ISO year, so Friday
// 1 January 2027 is in 2026's week 53), the calendar month. The newest N
// periods that have a backup each keep one backup that stands for it; a
// period without a backup takes no place. The one that stands for an hour,
// a day or a week is its newest (the latest state of that period, as restic's
// --keep-* and Databasus choose; the current period's is the newest backup).
// The one that stands for a month is its first: the month's first verified
// backup, labelled "monthly" when it was made (KindFor), so it stays put as
// the month fills up, and monthly backups made before GFS keep their role.
// A backup kept by several tiers is kept once, with every reason
// ("daily 2/7 · monthly 1/4"). The newest backup is always kept. Every other
// backup is deleted, with why.
type Retention struct {
	KeepDaily, KeepMonthly int
	// KeepHourly and KeepWeekly came with remotes (#13); 0 (the local
	// default) keeps none of that tier.
	KeepHourly, KeepWeekly int
	// Location is the calendar hours, days, weeks and months are read in
	// (SCHEDULE_TZ); nil is UTC.
	Location *time.Location
}

// Retention tiers, shortest period first.
const (
	TierHourly  = "hourly"
	TierDaily   = "daily"
	TierWeekly  = "weekly"
	TierMonthly = "monthly"
)

// Verdict is retention's decision on one backup, and why.
type Verdict struct {
	Backup Manifest
	Keep   bool
	Why    string
	Tiers  []string // the tiers that keep it; none for the newest kept only as the newest
}

// tier is one grandfather-father-son tier of a policy.
type tier struct {
	name, unit string
	keep       int
	// first: the period's first backup stands for it, not its newest.
	first  bool
	period func(local time.Time) int64
}

func (r Retention) tiers() []tier {
	return []tier{
		{TierHourly, "hour", r.KeepHourly, false, hourOf},
		{TierDaily, "day", r.KeepDaily, false, dayOf},
		{TierWeekly, "week", r.KeepWeekly, false, weekOf},
		{TierMonthly, "month", r.KeepMonthly, true, monthOf},
	}
}

// hourOf is the start of t's hour as an instant, not as a wall clock: the
// hour repeated when daylight saving time ends is two hours, as it was.
func hourOf(t time.Time) int64 {
	past := time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
	return t.Add(-past).Unix()
}

func dayOf(t time.Time) int64 {
	y, m, d := t.Date()
	return int64(y)*10000 + int64(m)*100 + int64(d)
}

func weekOf(t time.Time) int64 {
	y, w := t.ISOWeek()
	return int64(y)*100 + int64(w)
}

func monthOf(t time.Time) int64 {
	y, m, _ := t.Date()
	return int64(y)*100 + int64(m)
}

func (r Retention) location() *time.Location {
	if r.Location != nil {
		return r.Location
	}
	return time.UTC
}

// Apply decides which backups to keep, by the rule in Retention's comment,
// and returns one verdict per backup, newest first. It is a pure function of
// its input: backups must be verified ones, of one database, in any order;
// their Kind is not read, only their Start.
func (r Retention) Apply(backups []Manifest) []Verdict {
	sorted := append([]Manifest(nil), backups...)
	sortNewestFirst(sorted)
	loc := r.location()
	type judged struct {
		kept, tiers            []string // "daily 2/7"; "daily"
		newer, earlier, beyond []string // units stood for by another backup; keep counts passed
	}
	js := make([]judged, len(sorted))
	active := false
	for _, t := range r.tiers() {
		if t.keep <= 0 {
			continue
		}
		active = true
		for p, members := range periods(sorted, loc, t.period) {
			stand := members[0]
			if t.first {
				stand = members[len(members)-1]
			}
			for _, i := range members {
				j := &js[i]
				switch {
				case p >= t.keep:
					j.beyond = append(j.beyond, count(t.keep, t.unit))
				case i == stand:
					j.kept = append(j.kept, fmt.Sprintf("%s %d/%d", t.name, p+1, t.keep))
					j.tiers = append(j.tiers, t.name)
				case t.first:
					j.earlier = append(j.earlier, t.unit)
				default:
					j.newer = append(j.newer, t.unit)
				}
			}
		}
	}
	out := make([]Verdict, 0, len(sorted))
	for i, b := range sorted {
		j, v := js[i], Verdict{Backup: b}
		switch {
		case len(j.kept) > 0:
			v.Keep, v.Why, v.Tiers = true, strings.Join(j.kept, " · "), j.tiers
		case i == 0:
			v.Keep, v.Why = true, "newest backup, always kept"
		case !active:
			v.Why = "every keep count is 0: only the newest backup is kept"
		default:
			v.Why = whyNot(j.newer, j.earlier, j.beyond)
		}
		out = append(out, v)
	}
	return out
}

// periods buckets backups (newest first) by period: the periods in order of
// their newest backup, each its backups' indexes, newest first. A map, not a
// run of equal neighbours: where daylight saving time ends at midnight, a
// day comes back for an hour.
func periods(sorted []Manifest, loc *time.Location, period func(time.Time) int64) [][]int {
	index := map[int64]int{}
	var out [][]int
	for i, b := range sorted {
		k := period(b.Start.In(loc))
		p, ok := index[k]
		if !ok {
			p = len(out)
			index[k] = p
			out = append(out, nil)
		}
		out[p] = append(out[p], i)
	}
	return out
}

// whyNot says why no tier keeps a backup: "a newer one stands for its day;
// beyond the newest 4 months".
func whyNot(newer, earlier, beyond []string) string {
	var parts []string
	if len(newer) > 0 {
		parts = append(parts, "a newer one stands for its "+andList(newer))
	}
	if len(earlier) > 0 {
		parts = append(parts, "an earlier one stands for its "+andList(earlier))
	}
	if len(beyond) > 0 {
		parts = append(parts, "beyond the newest "+andList(beyond))
	}
	return strings.Join(parts, "; ")
}

// count is "7 days", or "day" for one.
func count(n int, unit string) string {
	if n == 1 {
		return unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func andList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// sortNewestFirst orders by start, newest first; equal starts by name, so
// that Apply's answer does not depend on the order it was given.
func sortNewestFirst(ms []Manifest) {
	slices.SortStableFunc(ms, func(a, b Manifest) int {
		return cmp.Or(b.Start.Compare(a.Start), cmp.Compare(b.Name, a.Name))
	})
}

// KindFor labels a new backup started at start, for people: "monthly" when
// no verified backup of its calendar month (in loc) exists yet, so it is the
// one the monthly tier keeps for that month; "daily" otherwise. Retention
// reads Start, never this label.
func KindFor(existing []Manifest, start time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	month := monthOf(start.In(loc))
	for _, b := range existing {
		if monthOf(b.Start.In(loc)) == month {
			return KindDaily
		}
	}
	return KindMonthly
}

// InLocation is r with its calendar in loc, unless r names one already:
// what a backup run does with its own policy and with each remote's.
func (r Retention) InLocation(loc *time.Location) Retention {
	if r.Location == nil {
		r.Location = loc
	}
	return r
}

// policy is the local retention, its calendar SCHEDULE_TZ unless it names one.
func (b *Backup) policy() Retention {
	return b.Config.Retention.InLocation(b.location())
}
