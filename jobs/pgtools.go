package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/pgversion"
)

// ErrToolNotFound means a PostgreSQL client binary is neither in PG_BIN_DIR nor on PATH.
var ErrToolNotFound = errors.New("not found")

// Tool is a PostgreSQL client binary and its version.
type Tool struct {
	Name    string
	Path    string
	Version pgversion.Version
}

// FindTool locates a PostgreSQL client binary: in binDir when set (and only
// there, so the operator's choice is never silently overridden), else on PATH.
func FindTool(ctx context.Context, binDir, name string) (Tool, error) {
	t := Tool{Name: name}
	if binDir != "" {
		p := filepath.Join(binDir, name)
		if st, err := os.Stat(p); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return t, fmt.Errorf("%s in PG_BIN_DIR %s: %w", name, binDir, ErrToolNotFound)
		}
		t.Path = p
	} else {
		p, err := exec.LookPath(name)
		if err != nil {
			return t, fmt.Errorf("%s on PATH: %w", name, ErrToolNotFound)
		}
		t.Path = p
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, t.Path, "--version").Output()
	if err != nil {
		return t, fmt.Errorf("%s --version: %w", t.Path, err)
	}
	v, err := pgversion.Parse(strings.TrimSpace(string(out)))
	if err != nil {
		return t, fmt.Errorf("%s --version: %w", t.Path, err)
	}
	t.Version = v
	return t, nil
}

// CompatibilityProblem explains, with the fix, why tool cannot handle server;
// empty when it can.
func CompatibilityProblem(t Tool, server pgversion.Version) string {
	if t.Version.CanHandle(server) {
		return ""
	}
	return fmt.Sprintf("%s %s cannot handle server %s: install postgresql-client-%s or set PG_BIN_DIR",
		t.Name, t.Version, server, server.MajorString())
}
