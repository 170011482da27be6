package config

import (
	"fmt"
	"math"
	"time"
)

// The range of every number and duration Load reads, in one place. Anything
// outside is a configuration error, and so are NaN, infinities and numbers
// too large to parse: a value that parses but means nothing would otherwise
// turn a guard off without a word. The README's configuration table shows
// each range as "range: …" (TestEveryRangeIsDocumented keeps them equal).

// maxTelegramID is the largest Telegram user or chat id: Telegram promises
// at most 52 significant bits. Anything larger is a typo.
const maxTelegramID = 1<<52 - 1

// wholeRanges are the ranges of whole numbers. Upper bounds also keep hours
// and milliseconds far from overflowing a time.Duration.
var wholeRanges = map[string]span[int64]{
	"TELEGRAM_ADMIN_IDS": {min: 1, max: maxTelegramID},
	// Groups and channels have negative ids; 0 is refused on its own.
	"TELEGRAM_CHAT_ID": {min: -maxTelegramID, max: maxTelegramID},
	// A message id: 32 bits.
	"TELEGRAM_THREAD_ID": {min: 1, max: math.MaxInt32},
	// A status gives the database 4.5 s in all: a higher limit could never warn.
	"DB_QUERY_LATENCY_THRESHOLD_MS": {min: 1, max: 4000},
	"DB_CLEANUP_RETENTION_DAYS":     {min: 1, max: 3650},
	"BACKUP_KEEP_DAILY":             {min: 1, max: 3650},
	"BACKUP_KEEP_MONTHLY":           {min: 0, max: 1200},
	"BACKUP_KEEP_HOURLY":            {min: 0, max: 8760},
	"BACKUP_KEEP_WEEKLY":            {min: 0, max: 520},
	"BACKUP_MAX_AGE_HOURS":          {min: 1, max: 8760},
	"CLEANUP_BATCH_SIZE":            {min: 1, max: 100_000},
	"CLEANUP_UNDO_HOURS":            {min: 1, max: 8760},
	"CLEANUP_WARN_ROWS":             {min: 0, max: 1_000_000_000},
	"CLEANUP_MAX_ROWS":              {min: 0, max: 1_000_000_000},
	// Heavy jobs at once on one server: more only loads it.
	"BACKUP_PARALLEL": {min: 1, max: 16},
	// Its port; 0 is any free one.
	"HTTP_ADDR": {min: 0, max: 65535},
}

// maxRemoteName is the longest remote name: room in a variable's name and
// on a chat line.
const maxRemoteName = 32

// keepRanges are the ranges of each tier of a remote's keep setting
// (BACKUP_REMOTE_<NAME>_KEEP): up to a year of hourly copies, ten years of
// the others, as the local ones.
var keepRanges = map[string]span[int64]{
	"hourly":  {min: 0, max: 8760},
	"daily":   {min: 0, max: 3650},
	"weekly":  {min: 0, max: 520},
	"monthly": {min: 0, max: 1200},
}

// shareRanges are the ranges of shares. 0 is outside: it would warn on
// everything or let nothing through, which no one means; 1 turns the
// warning or guard off in the open.
var shareRanges = map[string]span[float64]{
	"DB_POOL_USAGE_THRESHOLD": {min: 0, max: 1, minOpen: true},
	"BACKUP_DROP_WARN":        {min: 0, max: 1, minOpen: true},
	"CLEANUP_MAX_SHARE":       {min: 0, max: 1, minOpen: true},
}

// durationRanges are the ranges of durations.
var durationRanges = map[string]span[time.Duration]{
	// Time enough to read the message and press the button.
	"CONFIRM_TTL":     {min: 30 * time.Second, max: 24 * time.Hour},
	"STARTUP_DB_WAIT": {min: time.Second, max: time.Hour},
	// A check (a new connection) may take up to 5 s: checking more often
	// only loads the server, and 1ms once raised a false alert.
	"DB_WATCH_INTERVAL": {min: 5 * time.Second, max: 24 * time.Hour},
}

// span is the closed range [min, max], or (min, max] when minOpen.
type span[T int64 | float64 | time.Duration] struct {
	min, max T
	minOpen  bool
}

func (s span[T]) contains(v T) bool {
	if s.minOpen && v <= s.min || v < s.min {
		return false
	}
	return v <= s.max // false for NaN
}

// String is the range as the README and the error messages say it.
func (s span[T]) String() string {
	if s.minOpen {
		return "above " + show(s.min) + ", at most " + show(s.max)
	}
	return show(s.min) + " to " + show(s.max)
}

func show[T int64 | float64 | time.Duration](v T) string {
	switch v := any(v).(type) {
	case time.Duration:
		switch {
		case v != 0 && v%time.Hour == 0:
			return fmt.Sprintf("%dh", v/time.Hour)
		case v != 0 && v%time.Minute == 0:
			return fmt.Sprintf("%dm", v/time.Minute)
		}
		return v.String()
	default:
		return fmt.Sprint(v)
	}
}

// rangeOf returns name's range. A variable read without one is a bug in
// this package, found by every test that calls Load.
func rangeOf[T int64 | float64 | time.Duration](ranges map[string]span[T], name string) span[T] {
	s, ok := ranges[name]
	if !ok {
		panic("config: no range for " + name)
	}
	return s
}

// rangeWithDefault is rangeOf for a variable with a default, which must be
// in its own range.
func rangeWithDefault[T int64 | float64 | time.Duration](ranges map[string]span[T], name string, def T) span[T] {
	s := rangeOf(ranges, name)
	if !s.contains(def) {
		panic(fmt.Sprintf("config: the default of %s (%v) is outside its range %s", name, def, s))
	}
	return s
}
