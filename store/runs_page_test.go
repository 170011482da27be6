package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

func TestRunsFilterAndPage(t *testing.T) {
	db, _ := migratedDB(t)
	ctx := t.Context()
	const s = store.DefaultSchema
	t0 := mustTime(t, "2026-11-28T03:00:00Z")
	// 12 runs, newest last: backup ok ×6, backup failed ×2, cleanup ok ×3, restore_test abandoned ×1.
	type run struct {
		job     string
		outcome vocab.Outcome
	}
	var plan []run
	for i := 0; i < 6; i++ {
		plan = append(plan, run{"backup", "ok"})
	}
	plan = append(plan, run{"backup", "failed"}, run{"cleanup", "ok"}, run{"backup", "failed"}, run{"cleanup", "ok"},
		run{"cleanup", "ok"}, run{"restore_test", "abandoned"})
	ids := map[int64]int{}
	for i, p := range plan {
		at := t0.Add(time.Duration(i) * time.Hour)
		id, err := db.StartRun(ctx, s, p.job, "schedule", at)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.FinishRun(ctx, s, id, at.Add(time.Minute), p.outcome, "", nil); err != nil {
			t.Fatal(err)
		}
		ids[id] = i
	}
	tests := []struct {
		name          string
		give          store.RunFilter
		limit, offset int
		want          []int // plan indexes, newest first
		total         int
	}{
		{"all, first page", store.RunFilter{}, 5, 0, []int{11, 10, 9, 8, 7}, 12},
		{"all, last page", store.RunFilter{}, 5, 10, []int{1, 0}, 12},
		{"past the end", store.RunFilter{}, 5, 20, nil, 12},
		{"backups", store.RunFilter{Jobs: []string{"backup"}}, 3, 0, []int{8, 6, 5}, 8},
		{"failures", store.RunFilter{Outcomes: []vocab.Outcome{"failed", "abandoned"}}, 10, 0, []int{11, 8, 6}, 3},
		{"failed backups", store.RunFilter{Jobs: []string{"backup"}, Outcomes: []vocab.Outcome{"failed"}}, 10, 0, []int{8, 6}, 2},
		{"two jobs", store.RunFilter{Jobs: []string{"cleanup", "restore_test"}}, 10, 1, []int{10, 9, 7}, 4},
		{"nothing matches", store.RunFilter{Jobs: []string{"summary"}}, 10, 0, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs, total, err := db.Runs(ctx, s, tt.give, tt.limit, tt.offset)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, r := range runs {
				got = append(got, ids[r.ID])
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) || total != tt.total {
				t.Errorf("got %v of %d, want %v of %d", got, total, tt.want, tt.total)
			}
		})
	}
}
