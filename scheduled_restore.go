package main

import (
	"context"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/render"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// restoreJob is the restore test every trigger runs, recorded in the history
// (when there is one) so /history, /schedule and the metrics see it.
func (a *app) restoreJob() jobs.RecordedRestore {
	return jobs.RecordedRestore{History: a.hist, RestoreTest: &jobs.RestoreTest{DB: a.db, Config: jobs.RestoreConfig{
		DatabaseURL: a.cfg.DatabaseURL, RestoreDatabaseURL: a.cfg.RestoreDatabaseURL,
		BackupDir: a.cfg.BackupDir, PGBinDir: a.cfg.PGBinDir}}}
}

// scheduledRestoreTest proves the newest backup on RESTORE_TEST_SCHEDULE. No
// button: the schedule is the operators' standing decision, and the test
// only ever writes to a scratch database it drops. Failures always speak.
func (a *app) scheduledRestoreTest(notify func(context.Context, string) error) func(context.Context, time.Duration) error {
	return func(ctx context.Context, waited time.Duration) error {
		r, err := a.restoreJob().Run(ctx, jobs.RestoreOptions{Trigger: vocab.TriggerSchedule}, nil)
		return a.reportScheduled(ctx, notify, "restore_test", waitedNote(waited), err,
			render.RestoreTest(r, render.HTML), render.RestoreBrief(r), len(r.Warnings) > 0)
	}
}
