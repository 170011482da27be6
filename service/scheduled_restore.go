package service

import (
	"context"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// scheduledRestoreTest proves the newest backup on RESTORE_TEST_SCHEDULE. No
// button: the schedule is the operators' standing decision, and the test
// only ever writes to a scratch database it drops. Failures always speak.
func (s *Service) scheduledRestoreTest(ctx context.Context, waited time.Duration) error {
	r, err := s.Jobs.Restore.Run(ctx, jobs.RestoreOptions{Trigger: vocab.TriggerSchedule}, nil)
	return s.reportScheduled(ctx, "restore_test", render.Waited(waited), err,
		render.RestoreTest(r, render.HTML), render.RestoreBrief(r), len(r.Warnings) > 0)
}
