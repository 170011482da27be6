package render

import (
	"fmt"
	"strings"

	"github.com/pgkeeper/pgkeeper/jobs"
)

// tally is what retention keeps, tier by tier: "daily 7/7 · monthly 2/4",
// only the tiers whose keep count is above 0, and "newest" when the newest
// backup is kept by no tier but only as the newest.
func tally(t jobs.Tally) string {
	if len(t.Tiers) == 0 {
		return "only the newest backup (every keep count is 0)"
	}
	parts := make([]string, 0, len(t.Tiers)+1)
	for _, c := range t.Tiers {
		parts = append(parts, fmt.Sprintf("%s %d/%d", c.Tier, c.Kept, c.Keep))
	}
	if t.Newest {
		parts = append(parts, "newest")
	}
	return strings.Join(parts, " · ")
}
