package main

import (
	"path/filepath"

	"github.com/pgkeeper/pgkeeper/internal/config"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/service"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// statusJob is the status job configured from the environment.
func (a *app) statusJob() *jobs.Status {
	c := a.cfg
	return &jobs.Status{DB: a.db, History: a.hist, Config: jobs.StatusConfig{
		Tables:           c.StatusTables,
		KeysTable:        c.KeysTable,
		KeysAgeColumn:    c.KeysAgeColumn,
		RetentionDays:    c.RetentionDays,
		LatencyThreshold: c.LatencyThreshold,
		PoolThreshold:    c.PoolThreshold,
		BackupDir:        c.BackupDir,
		BackupMaxAge:     c.BackupMaxAge,
		PGBinDir:         c.PGBinDir,
		Degraded:         a.degraded,
	}, Restore: a.restoreJob().RestoreTest}
}

// backupJob is the backup job configured from the environment, its runs
// recorded in the history.
func (a *app) backupJob() jobs.RecordedBackup {
	return jobs.RecordedBackup{Backup: a.plainBackupJob(), History: a.hist}
}

// catalog is the guarded database's backups in BACKUP_DIR.
func (a *app) catalog() jobs.Catalog { return jobs.Catalog{Dir: a.cfg.BackupDir, DB: a.db} }

func (a *app) plainBackupJob() *jobs.Backup {
	c := a.cfg
	return &jobs.Backup{DB: a.db, Config: jobs.BackupConfig{
		DatabaseURL:       c.DatabaseURL,
		Dir:               c.BackupDir,
		PGBinDir:          c.PGBinDir,
		Retention:         jobs.Retention{KeepDaily: c.KeepDaily, KeepMonthly: c.KeepMonthly},
		DropWarn:          c.DropWarn,
		Location:          c.Location,
		FingerprintTables: c.FingerprintTables,
		CopyCommand:       c.BackupCopy,
		CopyHide:          config.SecretVariables,
	}}
}

// restoreJob is the restore test every trigger runs, recorded in the history
// (when there is one) so /history, /schedule and the metrics see it.
func (a *app) restoreJob() jobs.RecordedRestore {
	return jobs.RecordedRestore{History: a.hist, RestoreTest: &jobs.RestoreTest{DB: a.db, Config: jobs.RestoreConfig{
		DatabaseURL: a.cfg.DatabaseURL, RestoreDatabaseURL: a.cfg.RestoreDatabaseURL,
		BackupDir: a.cfg.BackupDir, PGBinDir: a.cfg.PGBinDir}}}
}

// cleanupJob is the cleanup job configured from the environment, recorded
// in the history and reported to Sentry; via is the trigger its undos record.
func (a *app) cleanupJob(batch int, via vocab.Trigger) jobs.RecordedCleanup {
	return jobs.RecordedCleanup{Cleanup: &jobs.Cleanup{DB: a.db, Config: a.cleanupConfig(batch)}, History: a.hist, Via: via,
		AfterRun: func(trigger vocab.Trigger, r jobs.CleanupReport) { service.CleanupEvent(a.hub, a.red, trigger, r) }}
}

func (a *app) cleanupConfig(batch int) jobs.CleanupConfig {
	c := a.cfg
	cfg := jobs.DefaultCleanupConfig(filepath.Join(c.BackupDir, "undo"))
	cfg.KeysTable, cfg.AgeColumn, cfg.ExpiresColumn = c.KeysTable, c.KeysAgeColumn, c.CleanupExpiresColumn
	cfg.RetentionDays, cfg.BatchSize, cfg.ProtectedTypes, cfg.Vacuum = c.RetentionDays, batch, c.CleanupProtected, c.CleanupVacuum
	cfg.UndoTTL, cfg.WarnRows, cfg.MaxRows, cfg.MaxShare = c.CleanupUndoTTL, c.CleanupWarnRows, c.CleanupMaxRows, c.CleanupMaxShare
	return cfg
}
