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

	"github.com/pgkeeper/pgkeeper/store"
)

// reader parses variables and collects problems instead of stopping at the first.
type reader struct {
	env      Lookup
	problems Problems
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
		if err != nil || id <= 0 {
			r.bad(name, "%q is not a Telegram user id (a positive number)", part)
			continue
		}
		ids = append(ids, id)
	}
	return ids
}

func (r *reader) int64(name string, def int64) int64 {
	v := r.get(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n == 0 {
		r.bad(name, "%q is not a chat id (a non-zero number)", v)
		return def
	}
	return n
}

func (r *reader) positiveInt(name string, def int) int {
	v := r.get(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		r.bad(name, "%q is not a positive whole number", v)
		return def
	}
	return n
}

func (r *reader) nonNegativeInt(name string, def int) int {
	v := r.get(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		r.bad(name, "%q is not a whole number of 0 or more", v)
		return def
	}
	return n
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

func (r *reader) share(name string, def float64) float64 {
	v := r.get(name, "")
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 || f > 1 {
		r.bad(name, "%q is not a share between 0 and 1 (like 0.8)", v)
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
		r.bad(name, "required: the database to guard, like postgres://user:password@host:5432/dbname")
		return ""
	}
	if err := store.ParseURL(v); err != nil {
		r.bad(name, "%v", err)
		return ""
	}
	return v
}

// optionalDatabaseURL is like databaseURL but may be empty.
func (r *reader) optionalDatabaseURL(name string) string {
	v := r.get(name, "")
	if v == "" {
		return ""
	}
	if err := store.ParseURL(v); err != nil {
		r.bad(name, "%v", err)
		return ""
	}
	return v
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	return r.positiveDuration(name, r.get(name, ""), def, "like 10m or 1h30m")
}

// durationOrOff is a duration, where "off" (or 0) turns the feature off (0).
func (r *reader) durationOrOff(name string, def time.Duration) time.Duration {
	v := r.get(name, "")
	if v == "off" || v == "0" {
		return 0
	}
	return r.positiveDuration(name, v, def, "like 30s or 2m, nor off")
}

// positiveDuration parses v (def when empty); anything but a positive
// duration is a problem, described with hint.
func (r *reader) positiveDuration(name, v string, def time.Duration, hint string) time.Duration {
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.bad(name, "%q is not a duration %s", v, hint)
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
	if _, _, err := net.SplitHostPort(v); err != nil {
		r.bad(name, "%q is not host:port (like :9187 or 127.0.0.1:9187)", v)
		return ""
	}
	return v
}

func (r *reader) ident(name, def string) store.Ident {
	id, err := store.ParseIdent(r.get(name, def))
	if err != nil {
		r.bad(name, "%v", err)
	}
	return id
}

func (r *reader) idents(name, def string) []store.Ident {
	var out []store.Ident
	for _, part := range strings.Split(r.get(name, def), ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		id, err := store.ParseIdent(part)
		if err != nil {
			r.bad(name, "%v", err)
			continue
		}
		out = append(out, id)
	}
	return out
}

func (r *reader) column(name, def string) string {
	c, err := store.ParseColumn(r.get(name, def))
	if err != nil {
		r.bad(name, "%v", err)
	}
	return c
}

func (r *reader) dir(name string) string {
	v := r.get(name, "")
	if v == "" {
		return ""
	}
	if st, err := os.Stat(v); err != nil || !st.IsDir() {
		r.bad(name, "%q is not a directory", v)
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
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User == nil || u.Host == "" {
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
