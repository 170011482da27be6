package jobs

import (
	"errors"
	"strings"
)

// ErrRemoteFailed is a backup run whose backup is verified and kept here but
// whose copy failed on one remote or more: the run's report opens with it,
// it alerts, and `pgkeeper backup` exits 1.
var ErrRemoteFailed = errors.New("off-site copy failed")

// RemoteError is ErrRemoteFailed with the remotes that failed, so that the
// shell, the chat, Sentry and the history all name them.
type RemoteError struct {
	Failed []RemoteOutcome
}

// Error names each failed remote and why, on one line.
func (e *RemoteError) Error() string {
	parts := make([]string, 0, len(e.Failed))
	for _, o := range e.Failed {
		parts = append(parts, o.Remote+" ("+o.Reason()+")")
	}
	return ErrRemoteFailed.Error() + " on " + strings.Join(parts, ", ")
}

// Unwrap makes errors.Is(err, ErrRemoteFailed) hold.
func (e *RemoteError) Unwrap() error { return ErrRemoteFailed }

// Remotes names the remotes that failed, in configuration order.
func (e *RemoteError) Remotes() []string {
	names := make([]string, 0, len(e.Failed))
	for _, o := range e.Failed {
		names = append(names, o.Remote)
	}
	return names
}

// RemoteError is the run's remote failures as a *RemoteError, nil when every
// remote holds the backup (or none is configured). Like CopyError, it is
// what a caller turns into an alert and an exit code after showing the
// report: the run itself returned no error, its backup being good.
func (r BackupReport) RemoteError() error {
	if !r.OK() || !r.RemoteFailed() {
		return nil
	}
	e := &RemoteError{}
	for _, o := range r.Remotes {
		if !o.OK() {
			e.Failed = append(e.Failed, o)
		}
	}
	return e
}

// Reason is the outcome's failure without the remote's name in front (the
// remote package's errors start with it), for lines that name it already.
func (o RemoteOutcome) Reason() string { return trimRemoteName(o.Error, o.Remote) }

// Reason is the copy's failure without the remote's name in front.
func (c RemoteCopy) Reason() string { return trimRemoteName(c.Error, c.Remote) }

func trimRemoteName(reason, name string) string {
	return strings.TrimPrefix(reason, "remote "+name+": ")
}
