package jobs

import (
	"context"
	"errors"

	"github.com/pgkeeper/pgkeeper/remote"
)

// remoteProblem tells a remote's failure in one line, with what to do
// about it. remote's errors carry no credential (they are built from the
// store's code and message, secrets masked), and neither does the fix.
func remoteProblem(err error) string {
	var fix string
	switch {
	case errors.Is(err, remote.ErrCredentials):
		fix = "check this remote's access key and secret key (or its profile)"
	case errors.Is(err, remote.ErrNoBucket):
		fix = "create the bucket, or correct this remote's bucket, endpoint or region"
	case errors.Is(err, remote.ErrDenied):
		fix = "allow these credentials to list, put and get objects under the prefix"
	case errors.Is(err, remote.ErrClockSkew):
		// Its reason names both clocks and says to set ours right.
	case errors.Is(err, remote.ErrTransient):
		fix = "the store is unreachable or failing: check its endpoint and the network"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		fix = "the run was stopped before the copy was complete"
	case errors.Is(err, ErrChanged):
		fix = "the file here was altered or damaged: run a new backup, and check the disk"
	case isRemoteError(err):
		fix = "check this remote's endpoint and settings"
	default:
		fix = "check this remote's settings"
	}
	s := oneLine(err.Error())
	if fix != "" {
		s += ": " + fix
	}
	// What this means for the backup (kept here, the gap filled by the next
	// run) is the report's to say, once, not every remote's.
	return s
}

func isRemoteError(err error) bool {
	var e *remote.Error
	return errors.As(err, &e)
}
