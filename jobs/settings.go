package jobs

import (
	"path/filepath"

	"github.com/pgkeeper/pgkeeper/internal/config"
)

// The jobs' settings from pgkeeper's configuration: the one place where its
// fields become each job's, for serve, the shell and the tests alike.

// BackupConfigFrom is the backup job's settings.
func BackupConfigFrom(c config.Config) BackupConfig {
	return BackupConfig{
		DatabaseURL:       c.DatabaseURL,
		Dir:               c.BackupDir,
		PGBinDir:          c.PGBinDir,
		Retention:         Retention{KeepDaily: c.KeepDaily, KeepMonthly: c.KeepMonthly},
		DropWarn:          c.DropWarn,
		Location:          c.Location,
		FingerprintTables: c.FingerprintTables,
		CopyCommand:       c.BackupCopy,
		CopyHide:          config.SecretVariables,
	}
}

// RestoreConfigFrom is the restore test's and the recovery's settings.
func RestoreConfigFrom(c config.Config) RestoreConfig {
	return RestoreConfig{DatabaseURL: c.DatabaseURL, RestoreDatabaseURL: c.RestoreDatabaseURL,
		BackupDir: c.BackupDir, PGBinDir: c.PGBinDir}
}

// StatusConfigFrom is the status report's settings; degraded is what serve
// says of a start without its database ("" for none).
func StatusConfigFrom(c config.Config, degraded string) StatusConfig {
	return StatusConfig{
		Tables:           c.StatusTables,
		KeysTable:        c.KeysTable,
		KeysAgeColumn:    c.KeysAgeColumn,
		RetentionDays:    c.RetentionDays,
		LatencyThreshold: c.LatencyThreshold,
		PoolThreshold:    c.PoolThreshold,
		BackupDir:        c.BackupDir,
		BackupMaxAge:     c.BackupMaxAge,
		PGBinDir:         c.PGBinDir,
		Degraded:         degraded,
	}
}

// CleanupConfigFrom is the cleanup's settings, its undo files under
// BACKUP_DIR/undo.
func CleanupConfigFrom(c config.Config) CleanupConfig {
	cfg := DefaultCleanupConfig(filepath.Join(c.BackupDir, "undo"))
	cfg.KeysTable, cfg.AgeColumn, cfg.ExpiresColumn = c.KeysTable, c.KeysAgeColumn, c.CleanupExpiresColumn
	cfg.RetentionDays, cfg.BatchSize = c.RetentionDays, c.CleanupBatchSize
	cfg.ProtectedTypes, cfg.Vacuum = c.CleanupProtected, c.CleanupVacuum
	cfg.UndoTTL, cfg.WarnRows, cfg.MaxRows, cfg.MaxShare = c.CleanupUndoTTL, c.CleanupWarnRows, c.CleanupMaxRows, c.CleanupMaxShare
	return cfg
}
