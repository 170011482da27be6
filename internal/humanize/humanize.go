// Package humanize formats numbers, sizes and durations for people reading a
// report on a phone: thousands separators, three significant figures, units.
package humanize

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Int formats n with thousands separators: 1234567 → "1,234,567".
func Int(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// Bytes formats a size in decimal units: 1060000000 → "1.06 GB".
func Bytes(n int64) string {
	if n < 1000 && n > -1000 {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"kB", "MB", "GB", "TB", "PB", "EB"}
	f := float64(n)
	i := -1
	for math.Abs(f) >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	return sig3(f) + " " + units[i]
}

// sig3 prints f with three significant figures and no trailing zeros noise.
func sig3(f float64) string {
	switch a := math.Abs(f); {
	case a >= 100:
		return strconv.FormatFloat(f, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(f, 'f', 1, 64)
	default:
		return strconv.FormatFloat(f, 'f', 2, 64)
	}
}

// Percent formats a share (0.253) as "25.3%".
func Percent(share float64) string {
	return sig3(share*100) + "%"
}

// Duration formats d compactly: "850 ms", "4.2 s", "3 min 5 s", "2 h 10 min", "3 d 4 h".
func Duration(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + Duration(-d)
	case d < time.Millisecond:
		return fmt.Sprintf("%d µs", d.Microseconds())
	case d < 10*time.Millisecond:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return sig3(d.Seconds()) + " s"
	case d < time.Hour:
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%d d %d h", int(d.Hours())/24, int(d.Hours())%24)
	}
}

// Rate formats bytes per second: "52.1 MB/s".
func Rate(bytes int64, d time.Duration) string {
	if d <= 0 {
		return "–"
	}
	return Bytes(int64(float64(bytes)/d.Seconds())) + "/s"
}
