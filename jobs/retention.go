package jobs

import (
	"fmt"
	"time"
)

// Retention is how many backups of each kind to keep.
type Retention struct {
	KeepDaily, KeepMonthly int
	// KeepHourly and KeepWeekly are the grandfather-father-son tiers added
	// for remotes (#13); 0 keeps none of that tier.
	KeepHourly, KeepWeekly int
	// Location is the calendar hours, days, weeks and months are read in
	// (SCHEDULE_TZ); nil is UTC.
	Location *time.Location
}

// Verdict is retention's decision on one backup, and why.
type Verdict struct {
	Backup Manifest
	Keep   bool
	Why    string
}

// Apply decides which backups to keep: the newest KeepDaily daily and the
// newest KeepMonthly monthly ones, and always the newest backup of all. It is
// a pure function of its input: backups must be verified ones, in any order.
func (r Retention) Apply(backups []Manifest) []Verdict {
	sorted := append([]Manifest(nil), backups...)
	sortNewestFirst(sorted)
	out := make([]Verdict, 0, len(sorted))
	daily, monthly := 0, 0
	for i, b := range sorted {
		v := Verdict{Backup: b}
		switch {
		case b.Kind == KindMonthly && monthly < r.KeepMonthly:
			monthly++
			v.Keep, v.Why = true, fmt.Sprintf("monthly %d/%d", monthly, r.KeepMonthly)
		case b.Kind != KindMonthly && daily < r.KeepDaily:
			daily++
			v.Keep, v.Why = true, fmt.Sprintf("daily %d/%d", daily, r.KeepDaily)
		case i == 0:
			v.Keep, v.Why = true, "newest backup, always kept"
		default:
			keep := map[bool]int{true: r.KeepMonthly, false: r.KeepDaily}[b.Kind == KindMonthly]
			v.Why = fmt.Sprintf("beyond the newest %d %s", keep, kindOf(b))
		}
		out = append(out, v)
	}
	return out
}

func kindOf(b Manifest) string {
	if b.Kind == KindMonthly {
		return KindMonthly
	}
	return KindDaily
}

func sortNewestFirst(ms []Manifest) {
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].Start.After(ms[j-1].Start); j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

// KindFor says what a new backup started at start is: the first verified
// backup of a calendar month (in loc) is that month's monthly one.
func KindFor(existing []Manifest, start time.Time, loc *time.Location) string {
	y, m, _ := start.In(loc).Date()
	for _, b := range existing {
		by, bm, _ := b.Start.In(loc).Date()
		if by == y && bm == m && b.Kind == KindMonthly {
			return KindDaily
		}
	}
	return KindMonthly
}
