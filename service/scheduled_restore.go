package service

import (
	"context"
	"errors"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// scheduledRestoreTest proves the newest backup on RESTORE_TEST_SCHEDULE,
// then each remote's newest copy: restored when it is plain or the remote
// has an identity file, its ciphertext checked otherwise (the report says
// which). No button: the schedule is the operators' standing decision, and
// the test only ever writes to a scratch database it drops. Failures always
// speak; one source failing does not skip the others.
func (s *Service) scheduledRestoreTest(ctx context.Context, waited time.Duration) error {
	var errs []error
	sources := []string{""}
	for _, r := range s.Jobs.Restore.Config.Remotes {
		sources = append(sources, r.Name)
	}
	for _, from := range sources {
		if ctx.Err() != nil {
			break
		}
		r, err := s.Jobs.Restore.Run(ctx, jobs.RestoreOptions{Trigger: vocab.TriggerSchedule, From: from}, nil)
		err = s.reportScheduled(ctx, "restore_test", render.Waited(waited), err,
			render.RestoreTest(r, render.HTML), render.RestoreBrief(r), len(r.Warnings) > 0 || r.CiphertextOnly)
		if errors.Is(err, jobs.ErrAlreadyRunning) {
			return err
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
