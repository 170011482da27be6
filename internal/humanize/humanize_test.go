package humanize

import (
	"testing"
	"time"
)

func TestInt(t *testing.T) {
	tests := map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234", 10000000: "10,000,000"}
	for give, want := range tests {
		if got := Int(give); got != want {
			t.Errorf("Int(%d) = %q, want %q", give, got, want)
		}
	}
}

func TestBytes(t *testing.T) {
	tests := []struct {
		give int64
		want string
	}{
		{0, "0 B"}, {999, "999 B"}, {1000, "1.00 kB"}, {1060000000, "1.06 GB"}, {52_100_000, "52.1 MB"}, {812_000_000_000, "812 GB"},
	}
	for _, tt := range tests {
		if got := Bytes(tt.give); got != tt.want {
			t.Errorf("Bytes(%d) = %q, want %q", tt.give, got, tt.want)
		}
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		give time.Duration
		want string
	}{
		{850 * time.Millisecond, "850 ms"},
		{420 * time.Microsecond, "420 µs"},
		{2500 * time.Microsecond, "2.5 ms"},
		{4200 * time.Millisecond, "4.20 s"},
		{185 * time.Second, "3 min 5 s"},
		{130 * time.Minute, "2 h 10 min"},
		{76 * time.Hour, "3 d 4 h"},
	}
	for _, tt := range tests {
		if got := Duration(tt.give); got != tt.want {
			t.Errorf("Duration(%v) = %q, want %q", tt.give, got, tt.want)
		}
	}
}
