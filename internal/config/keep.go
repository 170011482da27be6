package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// keepTiers are the tiers of a keep setting, in the order they are written.
var keepTiers = []string{"hourly", "daily", "weekly", "monthly"}

// ParseKeep reads a compact keep setting, like hourly=24,daily=14,weekly=8,monthly=12:
// each tier at most once, in its range (keepRanges), a tier left out keeps
// none, and at least one tier keeps some.
func ParseKeep(s string) (Keep, error) {
	var k Keep
	var problems []string
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		tier, num, ok := strings.Cut(part, "=")
		tier, num = strings.ToLower(strings.TrimSpace(tier)), strings.TrimSpace(num)
		sp, known := keepRanges[tier]
		switch {
		case !ok || !known:
			problems = append(problems, fmt.Sprintf("%q is not tier=count (tiers: %s)", part, strings.Join(keepTiers, ", ")))
			continue
		case seen[tier]:
			problems = append(problems, tier+" given twice")
			continue
		}
		seen[tier] = true
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil || !sp.contains(n) {
			problems = append(problems, fmt.Sprintf("%s=%s is not a whole number from %s", tier, num, sp))
			continue
		}
		switch tier {
		case "hourly":
			k.Hourly = int(n)
		case "daily":
			k.Daily = int(n)
		case "weekly":
			k.Weekly = int(n)
		case "monthly":
			k.Monthly = int(n)
		}
	}
	if len(problems) == 0 && k == (Keep{}) {
		problems = append(problems, "keeps no tier: give at least one a count, like "+DefaultRemoteKeep)
	}
	if len(problems) > 0 {
		return Keep{}, errors.New(strings.Join(problems, "; "))
	}
	return k, nil
}

// keep is a keep setting; def (valid) when unset or bad.
func (r *reader) keep(name, def string) Keep {
	v := r.get(name, def)
	k, err := ParseKeep(v)
	if err != nil {
		r.bad(name, "%q: %v", v, err)
		k, _ = ParseKeep(def)
	}
	return k
}
