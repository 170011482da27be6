package vocab

// Names of the jobs, as the history records their runs, the schedule names
// them and Sentry tags their failures.
const (
	JobBackup      = "backup"
	JobCleanup     = "cleanup"
	JobCleanupUndo = "cleanup_undo"
	JobRestoreTest = "restore_test"
	JobSummary     = "summary"
)
