// Package redact keeps secrets (the bot token, database passwords) out of
// everything pgkeeper prints: log lines, chat replies, errors and Sentry events.
package redact

import (
	"errors"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// Mask is what a secret is replaced with.
const Mask = "***"

// Redactor replaces known secrets, and any password embedded in a URL, with Mask.
// The zero value only masks URL passwords.
type Redactor struct {
	secrets []string
}

// New returns a Redactor for the given secrets; empty strings are ignored.
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add registers more secrets. It is not safe for use concurrently with String:
// call it while setting up, before the Redactor is shared.
func (r *Redactor) Add(secrets ...string) {
	for _, s := range secrets {
		// Very short "secrets" would mangle ordinary text; no real token or
		// password we guard is that short, and URL passwords are caught below.
		if len(s) < 4 {
			continue
		}
		r.secrets = append(r.secrets, s)
		// A secret also travels URL-escaped (in a DSN, in telebot's request URL).
		if esc := url.QueryEscape(s); esc != s {
			r.secrets = append(r.secrets, esc)
		}
		if esc := url.PathEscape(s); esc != s {
			r.secrets = append(r.secrets, esc)
		}
	}
	// Longest first, so a secret that contains another is masked whole.
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

// userinfoPassword matches the password part of scheme://user:password@host.
var userinfoPassword = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^@\s]*(@)`)

// keywordPassword matches password=... in a libpq keyword/value string, quoted or not.
var keywordPassword = regexp.MustCompile(`(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// String returns s with every secret masked.
func (r *Redactor) String(s string) string {
	if r != nil {
		for _, sec := range r.secrets {
			s = strings.ReplaceAll(s, sec, Mask)
		}
	}
	s = userinfoPassword.ReplaceAllString(s, "${1}"+Mask+"${2}")
	s = keywordPassword.ReplaceAllString(s, "${1}"+Mask)
	return s
}

// Error returns err with its message redacted, keeping errors.Is/As working
// through Unwrap. A nil error stays nil.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := r.String(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redacted{msg: msg, err: err}
}

type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

// Is lets callers match the redacted error against itself in tests.
func (e *redacted) Is(target error) bool { return errors.Is(e.err, target) }
