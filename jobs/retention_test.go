package jobs

import (
	"fmt"
	"testing"
	"time"
)

func TestRetentionApply(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	mk := func(d int, kind string) Manifest {
		return Manifest{Name: fmt.Sprintf("b%03d", d), Start: day(d), Kind: kind, Verified: true}
	}
	// 120 days of one backup a day; the first of each month is monthly.
	var history []Manifest
	for d := 0; d < 120; d++ {
		kind := KindDaily
		if day(d).Day() == 1 {
			kind = KindMonthly
		}
		history = append(history, mk(d, kind))
	}
	tests := []struct {
		name     string
		give     []Manifest
		policy   Retention
		wantKeep []string
	}{
		{"7 daily and 4 monthly from 120 days", history, Retention{KeepDaily: 7, KeepMonthly: 4},
			[]string{"b119", "b118", "b117", "b116", "b115", "b114", "b113", "b090", "b059", "b031", "b000"}},
		{"newest kept even when policy keeps no dailies", []Manifest{mk(1, KindDaily), mk(0, KindDaily)}, Retention{KeepDaily: 0, KeepMonthly: 0}, []string{"b001"}},
		{"nothing to do", []Manifest{mk(0, KindMonthly)}, Retention{KeepDaily: 7, KeepMonthly: 4}, []string{"b000"}},
		{"empty", nil, Retention{KeepDaily: 7, KeepMonthly: 4}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var kept []string
			for _, v := range tt.policy.Apply(tt.give) {
				if v.Keep {
					kept = append(kept, v.Backup.Name)
				} else if v.Why == "" {
					t.Errorf("%s deleted without a reason", v.Backup.Name)
				}
			}
			if fmt.Sprint(kept) != fmt.Sprint(tt.wantKeep) {
				t.Fatalf("kept %v, want %v", kept, tt.wantKeep)
			}
		})
	}
}

func TestKindFor(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := KindFor(tt.existing, tt.start, tt.loc); got != tt.want {
				t.Fatalf("KindFor = %s, want %s", got, tt.want)
			}
		})
	}
}
