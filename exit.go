package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/pgkeeper/pgkeeper/internal/redact"
)

// Exit codes. status uses 0/1/2 for healthy/warning/critical as well.
const (
	exitOK     = 0
	exitFailed = 1 // a job or a check failed; status: warning
	exitUsage  = 2 // bad usage or configuration; status: critical
)

// exitError is how a command fails: its exit code, and what the
// "pgkeeper CMD: …" line on stderr says (nothing when err is nil).
type exitError struct {
	code  int
	err   error
	usage bool   // the usage text follows the line
	as    string // the command as the line names it, when not the one run
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// failed is a command that failed (exit 1), saying why.
func failed(err error) error { return &exitError{code: exitFailed, err: err} }

// misused is a command run with bad arguments (exit 2), saying why.
func misused(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// misusedShowUsage is misused followed by the usage text.
func misusedShowUsage(err error) error { return &exitError{code: exitUsage, err: err, usage: true} }

// quietly exits with code and says nothing more: the output already did.
func quietly(code int) error { return &exitError{code: code} }

// exit is the one place where an error becomes an exit code and the
// "pgkeeper CMD: …" line on stderr (cmd "" for pgkeeper itself), redacted.
func exit(stderr io.Writer, red *redact.Redactor, cmd string, err error) int {
	if err == nil {
		return exitOK
	}
	e := &exitError{code: exitFailed, err: err}
	errors.As(err, &e)
	if e.err == nil {
		return e.code
	}
	name := "pgkeeper"
	if e.as != "" {
		cmd = e.as
	}
	if cmd != "" {
		name += " " + cmd
	}
	fmt.Fprintf(stderr, "%s: %s\n", name, red.String(e.err.Error()))
	if e.usage {
		fmt.Fprintf(stderr, "\n%s", usage)
	}
	return e.code
}

// flags parses a command's flags; a bad one, or an argument, is a usage
// error.
func flags(name string, args []string, define func(fs *flag.FlagSet)) error {
	fs := flag.NewFlagSet("pgkeeper "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	define(fs)
	if err := fs.Parse(args); err != nil {
		return misusedShowUsage(err)
	}
	if fs.NArg() > 0 {
		return misusedShowUsage(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	return nil
}
