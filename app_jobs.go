package main

import (
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/service"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// statusJob is the status job configured from the environment.
func (a *app) statusJob() *jobs.Status {
	return &jobs.Status{DB: a.db, History: a.hist, Config: jobs.StatusConfigFrom(a.cfg, a.degraded),
		Restore: a.restoreJob().RestoreTest}
}

// backupJob is the backup job configured from the environment, its runs
// recorded in the history.
func (a *app) backupJob() jobs.RecordedBackup {
	return jobs.RecordedBackup{Backup: a.plainBackupJob(), History: a.hist}
}

// catalog is the guarded database's backups in BACKUP_DIR.
func (a *app) catalog() jobs.Catalog { return jobs.Catalog{Dir: a.cfg.BackupDir, DB: a.db} }

func (a *app) plainBackupJob() *jobs.Backup {
	cfg := jobs.BackupConfigFrom(a.cfg)
	cfg.Roles = a.roles
	return &jobs.Backup{DB: a.db, Config: cfg}
}

// restoreJob is the restore test every trigger runs, recorded in the history
// (when there is one) so /history, /schedule and the metrics see it.
func (a *app) restoreJob() jobs.RecordedRestore {
	return jobs.RecordedRestore{History: a.hist, RestoreTest: &jobs.RestoreTest{DB: a.db, Config: jobs.RestoreConfigFrom(a.cfg)}}
}

// cleanupJob is the cleanup job configured from the environment, recorded
// in the history and reported to Sentry; via is the trigger its undos record.
func (a *app) cleanupJob(batch int, via vocab.Trigger) jobs.RecordedCleanup {
	cfg := jobs.CleanupConfigFrom(a.cfg)
	cfg.BatchSize = batch
	return jobs.RecordedCleanup{Cleanup: &jobs.Cleanup{DB: a.db, Config: cfg}, History: a.hist, Via: via,
		AfterRun: func(trigger vocab.Trigger, r jobs.CleanupReport) { service.CleanupEvent(a.hub, a.red, trigger, r) }}
}

// remoteNames are the configured remotes' names, in configuration order.
func (a *app) remoteNames() []string {
	var names []string
	for _, r := range jobs.BackupConfigFrom(a.cfg).Remotes {
		names = append(names, r.Name)
	}
	return names
}
