package jobs

import (
	"path/filepath"

	"github.com/pgkeeper/pgkeeper/internal/config"
	"github.com/pgkeeper/pgkeeper/remote"
)

// The jobs' settings from pgkeeper's configuration: the one place where its
// fields become each job's, for serve, the shell and the tests alike.

// BackupConfigFrom is the backup job's settings.
func BackupConfigFrom(c config.Config) BackupConfig {
	return BackupConfig{
		DatabaseURL: c.DatabaseURL,
		Dir:         c.BackupDir,
		PGBinDir:    c.PGBinDir,
		Retention: Retention{KeepHourly: c.KeepHourly, KeepDaily: c.KeepDaily, KeepWeekly: c.KeepWeekly,
			KeepMonthly: c.KeepMonthly, Location: c.Location},
		DropWarn:          c.DropWarn,
		Location:          c.Location,
		FingerprintTables: c.FingerprintTables,
		CopyCommand:       c.BackupCopy,
		CopyHide:          c.SecretVariables(),
		Remotes:           RemoteSpecsFrom(c),
		Recipients:        c.AgeRecipients,
	}
}

// RemoteSpecsFrom is each configured remote, its retention read in
// SCHEDULE_TZ as the local one.
func RemoteSpecsFrom(c config.Config) []RemoteSpec {
	var out []RemoteSpec
	for _, r := range c.Remotes {
		addressing := remote.Addressing(r.Addressing)
		if r.Addressing == config.DefaultAddressing {
			addressing = remote.AddressingAuto
		}
		out = append(out, RemoteSpec{
			Name: r.Name,
			Config: remote.Config{
				Name: r.Name, Bucket: r.Bucket, Prefix: r.Prefix, Endpoint: r.Endpoint, Region: r.Region,
				Addressing: addressing, Checksums: remote.Checksums(r.Checksums),
				AccessKeyID: r.AccessKeyID, SecretAccessKey: r.SecretAccessKey, SessionToken: r.SessionToken,
				Profile: r.Profile, CABundle: r.CABundle,
			},
			Keep: Retention{KeepHourly: r.Keep.Hourly, KeepDaily: r.Keep.Daily, KeepWeekly: r.Keep.Weekly,
				KeepMonthly: r.Keep.Monthly, Location: c.Location},
			Identity: r.Identity,
		})
	}
	return out
}

// RestoreConfigFrom is the restore test's and the recovery's settings.
func RestoreConfigFrom(c config.Config) RestoreConfig {
	return RestoreConfig{DatabaseURL: c.DatabaseURL, RestoreDatabaseURL: c.RestoreDatabaseURL,
		BackupDir: c.BackupDir, PGBinDir: c.PGBinDir, Remotes: RemoteSpecsFrom(c)}
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
		Remotes:          RemoteSpecsFrom(c),
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
