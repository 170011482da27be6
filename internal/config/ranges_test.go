package config

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// loadOne loads a valid configuration with name set to value.
func loadOne(name, value string) (Config, error) {
	return Load(env(map[string]string{"DATABASE_URL": "postgres://u@h/db", name: value}), parseURL)
}

// wantRefused checks that err is exactly one problem, for name, that shows
// the value and the allowed range.
func wantRefused(t *testing.T, err error, name, value, rng string) {
	t.Helper()
	var p Problems
	if !errors.As(err, &p) || len(p) != 1 || p[0].Var != name {
		t.Fatalf("%s=%q: want one problem for %s, got %v", name, value, name, err)
	}
	if !strings.Contains(p[0].Msg, strconv.Quote(value)) || !strings.Contains(p[0].Msg, rng) {
		t.Errorf("%s=%q: the problem does not show the value and the range %q: %s", name, value, rng, p[0].Msg)
	}
}

// The values of issue #11 item 8, each accepted before and misbehaving after.
func TestValuesThatTurnedGuardsOffAreRefused(t *testing.T) {
	tests := []struct {
		name, give, wantRange string
	}{
		{"DB_POOL_USAGE_THRESHOLD", "NaN", "above 0, at most 1"},
		{"BACKUP_DROP_WARN", "NaN", "above 0, at most 1"},
		{"CLEANUP_MAX_SHARE", "NaN", "above 0, at most 1"},
		{"CLEANUP_MAX_SHARE", "+Inf", "above 0, at most 1"},
		{"DB_QUERY_LATENCY_THRESHOLD_MS", "9223372036854775807", "1 to 4000"},
		{"CLEANUP_UNDO_HOURS", "5124096", "1 to 8760"},
		{"DB_WATCH_INTERVAL", "1ms", "5s to 24h"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.give, func(t *testing.T) {
			_, err := loadOne(tt.name, tt.give)
			wantRefused(t, err, tt.name, tt.give, tt.wantRange)
		})
	}
}

// Every ranged variable refuses NaN, infinities, overflow and the values
// just outside its range, and takes the values at its edges.
func TestEveryRangeIsEnforced(t *testing.T) {
	type tcase struct{ name, give, rng string }
	var bad, good []tcase
	for name, sp := range wholeRanges {
		text := func(s string) string { return s }
		if name == "HTTP_ADDR" {
			text = func(s string) string { return "127.0.0.1:" + s }
		}
		form := func(n int64) string { return text(strconv.FormatInt(n, 10)) }
		for _, v := range []string{form(sp.min - 1), form(sp.max + 1), form(9223372036854775807),
			form(-9223372036854775808), text("99999999999999999999"), text("NaN"), text("1.5")} {
			bad = append(bad, tcase{name, v, sp.String()})
		}
		good = append(good, tcase{name, form(sp.min), ""}, tcase{name, form(sp.max), ""})
	}
	for name, sp := range shareRanges {
		for _, v := range []string{"NaN", "nan", "Inf", "+Inf", "-Inf", "infinity", "1e309", "-0.1", "1.0000001", "2", "0"} {
			bad = append(bad, tcase{name, v, sp.String()})
		}
		good = append(good, tcase{name, "0.000001", ""}, tcase{name, "1", ""})
	}
	for name, sp := range durationRanges {
		for _, v := range []string{(sp.min - time.Nanosecond).String(), (sp.max + time.Nanosecond).String(),
			"9999999999999h", "-1h", "NaN", "Infs"} {
			bad = append(bad, tcase{name, v, sp.String()})
		}
		good = append(good, tcase{name, sp.min.String(), ""}, tcase{name, sp.max.String(), ""})
	}
	for _, tt := range bad {
		t.Run("refuses "+tt.name+"="+tt.give, func(t *testing.T) {
			_, err := loadOne(tt.name, tt.give)
			wantRefused(t, err, tt.name, tt.give, tt.rng)
		})
	}
	for _, tt := range good {
		t.Run("takes "+tt.name+"="+tt.give, func(t *testing.T) {
			if _, err := loadOne(tt.name, tt.give); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Hours and milliseconds become durations without overflowing, up to the
// top of their ranges.
func TestLargestValuesConvertExactly(t *testing.T) {
	vars := map[string]string{"DATABASE_URL": "postgres://u@h/db"}
	for _, name := range []string{"DB_QUERY_LATENCY_THRESHOLD_MS", "BACKUP_MAX_AGE_HOURS", "CLEANUP_UNDO_HOURS"} {
		vars[name] = strconv.FormatInt(wholeRanges[name].max, 10)
	}
	c, err := Load(env(vars), parseURL)
	if err != nil {
		t.Fatal(err)
	}
	if c.LatencyThreshold != 4000*time.Millisecond || c.BackupMaxAge != 8760*time.Hour || c.CleanupUndoTTL != 8760*time.Hour {
		t.Fatalf("latency %v, backup max age %v, undo %v", c.LatencyThreshold, c.BackupMaxAge, c.CleanupUndoTTL)
	}
}

func TestChatIDIsNeverZero(t *testing.T) {
	_, err := loadOne("TELEGRAM_CHAT_ID", "0")
	wantRefused(t, err, "TELEGRAM_CHAT_ID", "0", wholeRanges["TELEGRAM_CHAT_ID"].String())
	c, err := loadOne("TELEGRAM_CHAT_ID", "-1001234567890")
	if err != nil || c.ChatID != -1001234567890 {
		t.Fatalf("a group's chat id: %v, %v", c.ChatID, err)
	}
}
