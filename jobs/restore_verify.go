package jobs

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pgkeeper/pgkeeper/store"
)

// verifyRestore checks the scratch database against the backup's manifest:
// every table exists with exactly the rows counted in the backup's snapshot,
// and each fingerprinted table has the same content. Differences go into the
// report; the error says how many and names the first.
func verifyRestore(ctx context.Context, scratch *store.DB, m Manifest, r *RestoreReport) error {
	tables, err := scratch.Tables(ctx)
	if err != nil {
		return err
	}
	var diffs []RestoreDifference
	for _, tc := range m.Tables {
		id, ok := tables[tc.Table]
		if !ok {
			diffs = append(diffs, RestoreDifference{Table: tc.Table, Check: "table", Expected: "present", Found: "missing"})
			continue
		}
		n, err := scratch.CountRows(ctx, id)
		if err != nil {
			return err
		}
		r.Tables++
		r.Rows += n
		if n != tc.Rows {
			diffs = append(diffs, RestoreDifference{Table: tc.Table, Check: "rows",
				Expected: strconv.FormatInt(tc.Rows, 10), Found: strconv.FormatInt(n, 10)})
		}
	}
	names := make([]string, 0, len(m.Fingerprints))
	for name := range m.Fingerprints {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		id, ok := tables[name]
		if !ok {
			if !hasDiff(diffs, name) {
				diffs = append(diffs, RestoreDifference{Table: name, Check: "table", Expected: "present", Found: "missing"})
			}
			continue
		}
		fp, err := scratch.Fingerprint(ctx, id)
		if err != nil {
			return err
		}
		r.Fingerprinted++
		if want := m.Fingerprints[name]; fp != want {
			diffs = append(diffs, RestoreDifference{Table: name, Check: "fingerprint", Expected: want, Found: fp})
		}
	}
	r.Differences = diffs
	switch len(diffs) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("%w: %s", ErrRestoreMismatch, diffs[0])
	default:
		more := make([]string, 0, len(diffs))
		for _, d := range diffs {
			more = append(more, d.String())
		}
		return fmt.Errorf("%w in %d places: %s", ErrRestoreMismatch, len(diffs), strings.Join(more, "; "))
	}
}

func hasDiff(diffs []RestoreDifference, table string) bool {
	for _, d := range diffs {
		if d.Table == table {
			return true
		}
	}
	return false
}
