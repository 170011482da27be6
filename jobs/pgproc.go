package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// pgProc runs a PostgreSQL client tool the safe way: an explicit argument
// list (never a shell), the connection in its environment (never argv), -w so
// it never prompts, SIGTERM on cancel, and a bounded tail of stderr kept for
// the error.
func pgProc(ctx context.Context, tool Tool, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, tool.Path, append([]string{"-w"}, args...)...)
	cmd.Env = append(baseEnv(), env...)
	return ownGroup(cmd)
}

// ownGroup puts cmd in its own process group and makes a cancel SIGTERM the
// whole group, so it reaches whatever cmd started too (a wrapper script's or
// a shell's children would otherwise keep running, and keep pipes open).
func ownGroup(cmd *exec.Cmd) *exec.Cmd {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// baseEnv is the parent's environment without any libpq variable, so that a
// stray PGPASSWORD or PGHOST of the operator's shell cannot redirect a dump.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// tailBuffer keeps the last max bytes written to it: enough of stderr to say
// why a tool failed, never unbounded.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func newTail(max int) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(p), nil
}

// String is the tail, trimmed, as one line.
func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := string(bytes.TrimSpace(t.buf))
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " | ")), " ")
}

// procError describes a finished tool: its exit and the tail of what it said.
func procError(name string, err error, stderr *tailBuffer) error {
	return &toolError{tool: name, said: stderr.String(), err: err}
}

// toolError is a client tool's failure and the tail of what it said on
// stderr, kept apart so a report can tell whether the tool gave a reason.
type toolError struct {
	tool, said string
	err        error
}

func (e *toolError) Error() string {
	if e.said != "" {
		return fmt.Sprintf("%s: %v: %s", e.tool, e.err, e.said)
	}
	return fmt.Sprintf("%s: %v", e.tool, e.err)
}

func (e *toolError) Unwrap() error { return e.err }

// toolSaid is what a failing client tool said on stderr, or "".
func toolSaid(err error) string {
	var te *toolError
	if errors.As(err, &te) {
		return te.said
	}
	return ""
}
