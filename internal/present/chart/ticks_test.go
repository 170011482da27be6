package chart

import (
	"slices"
	"testing"
	"time"
)

func TestTimeTicks(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	tests := []struct {
		name     string
		from, to time.Time
		want     []string
	}{
		{
			name: "a month, weekly at midnight",
			from: time.Date(2026, 10, 29, 6, 0, 0, 0, time.UTC), to: time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC),
			want: []string{"Oct 30", "Nov 6", "Nov 13", "Nov 20", "Nov 27"},
		},
		{
			name: "half a day, every two hours",
			from: time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC), to: time.Date(2026, 11, 28, 17, 0, 0, 0, time.UTC),
			want: []string{"06:00", "08:00", "10:00", "12:00", "14:00", "16:00"},
		},
		{
			name: "across midnight, the date at midnight",
			from: time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC), to: time.Date(2026, 11, 28, 18, 0, 0, 0, time.UTC),
			want: []string{"18:00", "Nov 28", "06:00", "12:00", "18:00"},
		},
		{
			name: "days across a DST change stay at local midnight",
			from: time.Date(2026, 10, 22, 12, 0, 0, 0, berlin), to: time.Date(2026, 10, 28, 12, 0, 0, 0, berlin),
			want: []string{"Oct 23", "Oct 24", "Oct 25", "Oct 26", "Oct 27", "Oct 28"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ticks := timeTicks{loc: tt.from.Location()}.Ticks(float64(tt.from.Unix()), float64(tt.to.Unix()))
			var got []string
			for _, tk := range ticks {
				got = append(got, tk.Label)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ticks %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNiceTicks(t *testing.T) {
	tests := []struct {
		name   string
		lo, hi float64
		format func(float64) string
		want   []string
	}{
		{name: "bytes", lo: 0, hi: 1.5e9, format: func(v float64) string { return scaled(v, byteUnits) },
			want: []string{"0 B", "250 MB", "500 MB", "750 MB", "1 GB", "1.25 GB", "1.5 GB"}},
		{name: "counts", lo: 0, hi: 55_000, format: compact,
			want: []string{"0", "10k", "20k", "30k", "40k", "50k"}},
		{name: "empty range", lo: 0, hi: 0, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, tk := range (niceTicks{format: tt.format}).Ticks(tt.lo, tt.hi) {
				got = append(got, tk.Label)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ticks %q, want %q", got, tt.want)
			}
		})
	}
}
