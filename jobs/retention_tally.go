package jobs

import "slices"

// TierCount is what one retention tier keeps: Kept backups, at most Keep.
type TierCount struct {
	Tier       string // TierHourly … TierMonthly
	Kept, Keep int
}

// Tally is what retention keeps, tier by tier, for "daily 7/7 · monthly 2/4".
// A backup kept by two tiers counts in each.
type Tally struct {
	Tiers []TierCount // the tiers whose keep count is above 0, hourly to monthly
	// Newest: the newest backup is kept by no tier, only as the newest (a
	// policy of monthly backups alone, or of none).
	Newest bool
}

// Tally counts verdicts (Apply's under r, for the local directory or a
// remote alike) tier by tier.
func (r Retention) Tally(verdicts []Verdict) Tally {
	var t Tally
	for _, tr := range r.tiers() {
		if tr.keep <= 0 {
			continue
		}
		c := TierCount{Tier: tr.name, Keep: tr.keep}
		for _, v := range verdicts {
			if v.Keep && slices.Contains(v.Tiers, tr.name) {
				c.Kept++
			}
		}
		t.Tiers = append(t.Tiers, c)
	}
	for _, v := range verdicts {
		if v.Keep && len(v.Tiers) == 0 {
			t.Newest = true
		}
	}
	return t
}
