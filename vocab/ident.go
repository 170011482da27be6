package vocab

import (
	"fmt"
	"regexp"
	"strings"
)

// Ident is a table or column name from configuration, optionally
// schema-qualified. It is always quoted before it reaches SQL.
type Ident struct {
	Schema, Name string
}

// String is the name as configured.
func (i Ident) String() string {
	if i.Schema == "" {
		return i.Name
	}
	return i.Schema + "." + i.Name
}

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]{0,62}$`)

// ParseIdent accepts "name" or "schema.name" made of plain identifier characters.
// Anything else is refused rather than quoted, so configuration can never
// smuggle SQL in.
func ParseIdent(s string) (Ident, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) > 2 {
		return Ident{}, fmt.Errorf("%q: at most schema.name", s)
	}
	for _, p := range parts {
		if !identRe.MatchString(p) {
			return Ident{}, fmt.Errorf("%q is not a plain identifier (letters, digits, _ and $)", s)
		}
	}
	if len(parts) == 2 {
		return Ident{Schema: parts[0], Name: parts[1]}, nil
	}
	return Ident{Name: parts[0]}, nil
}

// ParseColumn accepts a plain, unqualified column name.
func ParseColumn(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !identRe.MatchString(s) {
		return "", fmt.Errorf("%q is not a plain column name", s)
	}
	return s, nil
}

// Plain reports whether s, as it is, is a plain identifier: the check
// ParseIdent and ParseColumn make on each part.
func Plain(s string) bool { return identRe.MatchString(s) }
