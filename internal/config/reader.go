package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/pgkeeper/pgkeeper/vocab"
)

// reader parses variables and collects problems instead of stopping at the first.
type reader struct {
	env       Lookup
	parseURL  URLParser
	problems  Problems
	secrets   []string        // passwords of the connection strings, keys of the remotes
	seenNames map[string]bool // remote names BACKUP_REMOTES gives, even in a bad entry
	// several: named databases or servers are configured, so DATABASE_URL
	// may be absent.
	several bool
	// secretVars are the servers' variables, which hold a password.
	secretVars []string
}

func (r *reader) err() error {
	if len(r.problems) == 0 {
		return nil
	}
	return r.problems
}

func (r *reader) bad(name, format string, args ...any) {
	r.problems = append(r.problems, Problem{Var: name, Msg: fmt.Sprintf(format, args...)})
}

// get returns the trimmed value, or def when unset or empty.
func (r *reader) get(name, def string) string {
	v, ok := r.env(name)
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		return def
	}
	return v
}

func (r *reader) str(name, def string) string { return r.get(name, def) }

var tokenRe = regexp.MustCompile(`^[0-9]{3,}:[A-Za-z0-9_-]{10,}$`)

// token checks the bot token's shape without ever echoing it.
func (r *reader) token(name string) string {
	v := r.get(name, "")
	if v != "" && !tokenRe.MatchString(v) {
		r.bad(name, "*** is not shaped like a bot token (<digits>:<secret> from @BotFather)")
		return ""
	}
	return v
}

func (r *reader) ids(name string) []int64 {
	v := r.get(name, "")
	if v == "" {
		return nil
	}
	var ids []int64
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, err := strconv.ParseInt(part, 10, 64)
		if s := rangeOf(wholeRanges, name); err != nil || !s.contains(id) {
			r.bad(name, "%q is not a Telegram user id (a whole number from %s)", part, s)
			continue
		}
		ids = append(ids, id)
	}
	return ids
}

// chatID is a Telegram chat id: negative for groups, never 0; def when unset.
func (r *reader) chatID(name string, def int64) int64 {
	sp := rangeWithDefault(wholeRanges, name, def)
	v := r.get(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n == 0 || !sp.contains(n) {
		r.bad(name, "%q is not a chat id (a whole number from %s, not 0)", v, sp)
		return def
	}
	return n
}

// optionalWhole is a whole number in its range, or 0 when unset.
func (r *reader) optionalWhole(name string) int64 {
	sp := rangeOf(wholeRanges, name)
	v := r.get(name, "")
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || !sp.contains(n) {
		r.bad(name, "%q is not a whole number from %s", v, sp)
		return 0
	}
	return n
}

// whole is a whole number in its range (ranges.go); def when unset.
func (r *reader) whole(name string, def int) int {
	sp := rangeWithDefault(wholeRanges, name, int64(def))
	v := r.get(name, "")
	if v == "" {
		return def
	}
	// Parsed as 64 bits whatever int is: a number too large for it is out
	// of range, not a different number.
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || !sp.contains(n) {
		r.bad(name, "%q is not a whole number from %s", v, sp)
		return def
	}
	return int(n)
}

func (r *reader) location(name, def string) *time.Location {
	v := r.get(name, def)
	loc, err := time.LoadLocation(v)
	if err != nil {
		r.bad(name, "%q is not a time zone name (like UTC or Europe/Berlin)", v)
		return time.UTC
	}
	return loc
}

// share is a fraction in its range (ranges.go); def when unset. NaN and
// infinities parse as floats and fail every comparison: contains refuses them.
func (r *reader) share(name string, def float64) float64 {
	sp := rangeWithDefault(shareRanges, name, def)
	v := r.get(name, "")
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !sp.contains(f) {
		r.bad(name, "%q is not a share %s (like %v)", v, sp, def)
		return def
	}
	return f
}

func (r *reader) httpURL(name, def string) string {
	v := r.get(name, def)
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.bad(name, "must be an http(s) URL like %s", def)
		return def
	}
	return strings.TrimRight(v, "/")
}

func (r *reader) databaseURL(name string) string {
	v := r.get(name, "")
	if v == "" {
		if !r.several {
			r.bad(name, "required: the database to guard, like postgres://user:password@host:5432/dbname "+
				"(or several: DATABASE_URL_<NAME> for each, DATABASE_SERVER_<NAME> for every database of a server)")
		}
		return ""
	}
	return r.connString(name, v)
}

// optionalDatabaseURL is like databaseURL but may be empty.
func (r *reader) optionalDatabaseURL(name string) string {
	v := r.get(name, "")
	if v == "" {
		return ""
	}
	return r.connString(name, v)
}

// connString checks connection string v of variable name and keeps its
// password for Secrets; empty when v does not parse.
func (r *reader) connString(name, v string) string {
	parts, err := r.parseURL(v)
	if err != nil {
		r.bad(name, "%v", err)
		return ""
	}
	r.secrets = append(r.secrets, parts.Password)
	return v
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	return r.durationIn(name, r.get(name, ""), def, "")
}

// durationOrOff is a duration, where "off" (or 0) turns the feature off (0).
func (r *reader) durationOrOff(name string, def time.Duration) time.Duration {
	v := r.get(name, "")
	if v == "off" || v == "0" {
		return 0
	}
	return r.durationIn(name, v, def, ", or off")
}

// durationIn parses v (def when empty); anything but a duration in name's
// range (ranges.go) is a problem. more names what else is allowed.
func (r *reader) durationIn(name, v string, def time.Duration, more string) time.Duration {
	sp := rangeWithDefault(durationRanges, name, def)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || !sp.contains(d) {
		r.bad(name, "%q is not a duration from %s (like 30s, 10m or 1h30m)%s", v, sp, more)
		return def
	}
	return d
}

// optionalColumn is a column name, where an explicitly empty value turns the feature off.
func (r *reader) optionalColumn(name, def string) string {
	v, ok := r.env(name)
	if ok && strings.TrimSpace(v) == "" {
		return ""
	}
	return r.column(name, def)
}

func (r *reader) onOff(name string, def bool) bool {
	switch strings.ToLower(r.get(name, "")) {
	case "":
		return def
	case "on", "true", "yes", "1":
		return true
	case "off", "false", "no", "0":
		return false
	}
	r.bad(name, "%q is not on or off", r.get(name, ""))
	return def
}

func (r *reader) list(name, def string) []string {
	var out []string
	for _, p := range strings.Split(r.get(name, def), ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// schedule is a five-field cron expression; set but empty turns the job off.
func (r *reader) schedule(name, def string) string {
	v, ok := r.env(name)
	v = strings.TrimSpace(v)
	if ok && v == "" {
		return ""
	}
	if !ok {
		v = def
	}
	if _, err := cron.ParseStandard(v); err != nil {
		r.bad(name, "%q is not a cron schedule (minute hour day month weekday, like %q): %v", v, def, err)
		return ""
	}
	return v
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(r.get(name, def))
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.bad(name, "%q is not one of %s", v, strings.Join(allowed, ", "))
	return def
}

func (r *reader) addr(name string) string {
	v := r.get(name, "")
	if v == "" {
		return ""
	}
	sp := rangeOf(wholeRanges, name)
	_, port, err := net.SplitHostPort(v)
	var n int64
	if err == nil {
		n, err = strconv.ParseInt(port, 10, 64)
	}
	if err != nil || !sp.contains(n) {
		r.bad(name, "%q is not host:port with a port from %s (like :9187 or 127.0.0.1:9187)", v, sp)
		return ""
	}
	return v
}

func (r *reader) ident(name, def string) vocab.Ident {
	id, err := vocab.ParseIdent(r.get(name, def))
	if err != nil {
		r.bad(name, "%v", err)
	}
	return id
}

func (r *reader) idents(name, def string) []vocab.Ident {
	var out []vocab.Ident
	for _, part := range strings.Split(r.get(name, def), ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		id, err := vocab.ParseIdent(part)
		if err != nil {
			r.bad(name, "%v", err)
			continue
		}
		out = append(out, id)
	}
	return out
}

func (r *reader) column(name, def string) string {
	c, err := vocab.ParseColumn(r.get(name, def))
	if err != nil {
		r.bad(name, "%v", err)
	}
	return c
}

// dirs is one directory or several, separated by commas or colons (PATH's
// way); each must exist. The value is kept as given, for jobs.NewToolbox,
// which also takes a value that is one directory whatever its name holds.
func (r *reader) dirs(name string) string {
	v := strings.TrimSpace(r.get(name, ""))
	if st, err := os.Stat(v); err == nil && st.IsDir() {
		return v
	}
	ok := true
	for _, d := range strings.FieldsFunc(v, func(c rune) bool { return c == ',' || c == ':' }) {
		d = strings.TrimSpace(d)
		if st, err := os.Stat(d); d != "" && (err != nil || !st.IsDir()) {
			r.bad(name, "%q is not a directory", d)
			ok = false
		}
	}
	if !ok {
		return ""
	}
	return v
}

// sentryDSN checks the DSN's shape; its key is a secret, so it is never echoed.
func (r *reader) sentryDSN(name string) string {
	v := r.get(name, "")
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	// What sentry-go itself refuses, so that its refusal is in the same list.
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User == nil || u.User.Username() == "" ||
		u.Hostname() == "" || strings.Trim(u.Path, "/") == "" {
		r.bad(name, "*** is not a Sentry DSN (https://<key>@<host>/<project>)")
		return ""
	}
	return v
}

func (r *reader) logLevel(name, def string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(r.get(name, def))); err != nil {
		r.bad(name, "%q is not one of debug, info, warn, error", r.get(name, def))
		return slog.LevelInfo
	}
	return l
}
