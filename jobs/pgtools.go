package jobs

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/pgkeeper/pgkeeper/internal/pgversion"
)

// ErrToolNotFound means a PostgreSQL client binary is nowhere pgkeeper looks:
// not in PG_BIN_DIR's entries, or, without it, neither in an installed
// major's bin directory nor on PATH.
var ErrToolNotFound = errors.New("not found")

// ErrToolTooOld means every copy of a PostgreSQL client binary found is of an
// older major version than the server it is needed for.
var ErrToolTooOld = errors.New("too old")

// Tool is a PostgreSQL client binary and its version.
type Tool struct {
	Name    string
	Path    string
	Version pgversion.Version
}

// Need is what a picked tool must handle: a server's version, and how people
// know that server, for a refusal.
type Need struct {
	// Version is the server's; unknown picks the newest tool found.
	Version pgversion.Version
	// Server names it in a refusal: "wa on db:5432", a database's name. Never
	// a URL: it is printed as given.
	Server string
}

// PickTool chooses, among box's copies of the client binary name, the one
// for need: the lowest installed major at least the server's, since pg_dump N
// dumps servers up to N and the lowest that fits writes the archive that the
// most pg_restore versions read. Copies of one major go in box's order. When
// none fits, the error (ErrToolTooOld) names the server, the package to
// install and what was found, and the Tool is the newest copy found.
func PickTool(ctx context.Context, box Toolbox, name string, need Need) (Tool, error) {
	where, paths := box.candidates(name)
	if len(paths) == 0 {
		return Tool{Name: name}, &pickError{kind: ErrToolNotFound,
			msg: fmt.Sprintf("%s %s: not found%s: %s", name, where, need.forWhom(), need.fix())}
	}
	var found []Tool
	var broken []string
	var firstErr error
	for _, p := range paths {
		v, err := toolVersion(ctx, p)
		if err != nil {
			broken = append(broken, err.Error())
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		found = append(found, Tool{Name: name, Path: p, Version: v})
	}
	if len(found) == 0 {
		return Tool{Name: name}, fmt.Errorf("%w: %s", joinErr(firstErr, broken), need.fix())
	}
	newest := found[0]
	for _, t := range found[1:] {
		if !newest.Version.CanHandle(t.Version) {
			newest = t
		}
	}
	if !need.Version.Valid() {
		return newest, nil
	}
	best := -1
	for i, t := range found {
		if t.Version.CanHandle(need.Version) && (best < 0 || !t.Version.CanHandle(found[best].Version)) {
			best = i
		}
	}
	if best >= 0 {
		return found[best], nil
	}
	msg := fmt.Sprintf("%s %s cannot handle %s: %s; found: %s", name, newest.Version, need.what(), need.fix(), foundList(found))
	if len(broken) > 0 {
		msg += "; " + strings.Join(broken, "; ")
	}
	return newest, &pickError{kind: ErrToolTooOld, msg: msg}
}

// pickRestore picks pg_restore for an archive of a server of need's version
// made by pg_dump dumpVer: preferably one that reads that pg_dump's archive
// format (newer pg_dumps write newer formats), else, as before pgkeeper knew
// pg_dump's version, one that handles the server.
func pickRestore(ctx context.Context, box Toolbox, need Need, dumpVer pgversion.Version) (Tool, error) {
	if dumpVer.Valid() && need.Version.Valid() && !need.Version.CanHandle(dumpVer) {
		if t, err := PickTool(ctx, box, "pg_restore", Need{Version: dumpVer, Server: need.Server}); err == nil {
			return t, nil
		}
	}
	return PickTool(ctx, box, "pg_restore", need)
}

func (n Need) what() string {
	if n.Server == "" {
		return "server " + n.Version.String()
	}
	return fmt.Sprintf("server %s (%s)", n.Version, n.Server)
}

func (n Need) forWhom() string {
	switch {
	case n.Version.Valid():
		return " for " + n.what()
	case n.Server != "":
		return " for " + n.Server
	}
	return ""
}

// fix names the Debian/Ubuntu package (also PGDG's name for it) to install.
func (n Need) fix() string {
	pkg := "postgresql-client"
	if n.Version.Valid() {
		pkg += "-" + n.Version.MajorString()
	}
	return "install " + pkg + ", or add its bin directory to PG_BIN_DIR"
}

// foundList is "13 (/a), 15 (/usr/lib/postgresql/15/bin)".
func foundList(found []Tool) string {
	parts := make([]string, len(found))
	for i, t := range found {
		parts[i] = fmt.Sprintf("%s (%s)", t.Version.MajorString(), filepath.Dir(t.Path))
	}
	return strings.Join(parts, ", ")
}

// pickError is a refusal worded for people that callers can still branch on.
type pickError struct {
	kind error
	msg  string
}

func (e *pickError) Error() string { return e.msg }
func (e *pickError) Unwrap() error { return e.kind }

// joinErr keeps the first error for errors.Is and every message for people.
func joinErr(first error, all []string) error {
	if len(all) <= 1 {
		return first
	}
	return fmt.Errorf("%w; %s", first, strings.Join(all[1:], "; "))
}
