// Package config reads pgkeeper's settings from environment variables (main
// passes the lookup), checks every one, and reports all problems at once.
package config

import (
	"log/slog"
	"slices"
	"time"

	"github.com/pgkeeper/pgkeeper/vocab"
)

// Defaults for settings that have one. config owns them: jobs, store and
// confirm fall back on these same constants.
const (
	DefaultAPIURL           = "https://api.telegram.org"
	DefaultStatusTables     = "whatsapp_auth,whatsapp_keys"
	DefaultKeysTable        = "whatsapp_keys"
	DefaultKeysAgeColumn    = "updated_at"
	DefaultLatencyMS        = 500
	DefaultPoolThreshold    = 0.8
	DefaultRetentionDays    = 30
	DefaultBackupDir        = "./backups"
	DefaultLogLevel         = "info"
	DefaultKeepDaily        = 7
	DefaultKeepMonthly      = 4
	DefaultKeepHourly       = 0 // hourly and weekly tiers are for remotes, unless asked for here
	DefaultKeepWeekly       = 0
	DefaultDropWarn         = 0.2
	DefaultBackupMaxAge     = 26
	DefaultScheduleTZ       = "UTC"
	DefaultFingerprint      = "whatsapp_auth"
	DefaultConfirmTTL       = 10 * time.Minute
	DefaultCleanupBatch     = 500 // bench/cleanup: the writer's p99 stays within 2× idle only at 500
	DefaultExpiresColumn    = "expires_at"
	DefaultProtectedTypes   = "app-state-sync-key,app-state-sync-version" // WhatsApp's app-state sync needs them whatever their age
	DefaultUndoHours        = 24
	DefaultCleanupWarnRows  = 1000
	DefaultCleanupMaxRows   = 50000
	DefaultCleanupMaxShare  = 0.5
	DefaultBackupSchedule   = "0 3 * * *"
	DefaultCleanupSchedule  = "30 3 * * *"
	DefaultRestoreSchedule  = "0 4 1 * *"
	DefaultSummarySchedule  = "0 6 * * *"
	DefaultSchema           = "pgkeeper"
	DefaultStartupDBWait    = time.Minute
	DefaultDBWatchInterval  = time.Minute
	DefaultNotifySuccess    = "brief"
	DefaultShutdownDeadline = 10 * time.Second
	DefaultParallel         = 1 // a server is never hit by several dumps unless asked

	// DefaultRemoteName names a bare s3://bucket/prefix in BACKUP_REMOTES.
	DefaultRemoteName = "remote"
	// DefaultRemoteKeep is what a remote keeps unless told otherwise: more
	// than the local default, since a bucket is where a lost server's
	// backups are found, and hourly copies bring the RPO to an hour.
	DefaultRemoteKeep = "hourly=24,daily=14,weekly=8,monthly=12"
	DefaultAddressing = "auto"
	DefaultChecksums  = "when-required" // what every S3-compatible store accepts
)

// Config is every setting, typed and checked.
type Config struct {
	BotToken         string
	AdminIDs         []int64
	ChatID           int64
	APIURL           string
	DatabaseURL      string
	StatusTables     []vocab.Ident
	KeysTable        vocab.Ident
	KeysAgeColumn    string
	LatencyThreshold time.Duration
	PoolThreshold    float64
	RetentionDays    int
	BackupDir        string
	BackupCopy       string // BACKUP_COPY_COMMAND; empty: off
	PGBinDir         string // PG_BIN_DIR: directories separated by commas or colons
	SentryDSN        string
	LogLevel         slog.Level

	KeepDaily         int
	KeepMonthly       int
	KeepHourly        int // 0: no hourly tier here
	KeepWeekly        int // 0: no weekly tier here
	DropWarn          float64
	BackupMaxAge      time.Duration
	Location          *time.Location
	FingerprintTables []vocab.Ident

	RestoreDatabaseURL string
	ConfirmTTL         time.Duration

	CleanupBatchSize     int
	CleanupExpiresColumn string // empty: off
	CleanupVacuum        bool
	CleanupProtected     []string
	CleanupUndoTTL       time.Duration
	CleanupWarnRows      int
	CleanupMaxRows       int
	CleanupMaxShare      float64

	BackupSchedule  string // empty: off
	CleanupSchedule string
	RestoreSchedule string
	SummarySchedule string
	Schema          string
	StartupDBWait   time.Duration // how long serve waits for the database at start
	DBWatch         time.Duration // how often serve checks the database answers; 0: off
	ThreadID        int64
	NotifySuccess   string // brief, full or off
	HTTPAddr        string // empty: no health or metrics endpoint

	// Remotes receive a copy of every verified backup (BACKUP_REMOTES), in
	// the order given; none: backups stay here.
	Remotes []Remote
	// AgeRecipients are the public keys copies leaving the machine are
	// encrypted to (BACKUP_AGE_RECIPIENTS); none: they leave as they are.
	AgeRecipients []string

	// StateURL is where pgkeeper's own schema lives (PGKEEPER_STATE_URL):
	// DatabaseURL when set, else the first named database's.
	StateURL string
	// Parallel is how many heavy jobs may run at once on one server
	// (BACKUP_PARALLEL).
	Parallel int
	// Databases are the databases guarded: DatabaseURL's first, then the
	// named ones (DATABASE_URL_<NAME>) by name. Empty only in a Database's
	// own Config.
	Databases []Database
	// Servers are the servers whose every database is guarded
	// (DATABASE_SERVER_<NAME>), by name.
	Servers []Server

	secrets    []string          // passwords of the connection strings, AWS and remote keys, for Secrets
	secretVars []string          // variables of named databases, servers and overrides that hold a secret
	discovered map[string]Config // the overrides of databases servers may hold, by name
}

// secretVariables are the variables that always carry a secret.
var secretVariables = []string{"TELEGRAM_BOT_TOKEN", "DATABASE_URL", "RESTORE_DATABASE_URL", "SENTRY_DSN", "PGKEEPER_STATE_URL"}

// SecretVariables are the variables that carry a secret, kept out of any
// command pgkeeper runs for the operators (BACKUP_COPY_COMMAND). The AWS
// secret key and session token are pgkeeper's when a remote may use them;
// without remotes they are the copy command's own, as they always were.
func (c Config) SecretVariables() []string {
	out := append(slices.Clone(secretVariables), c.secretVars...)
	if len(c.Remotes) == 0 {
		return out
	}
	out = append(out, "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
	for _, r := range c.Remotes {
		out = append(out, remoteSecretVars(r.Name)...)
	}
	return out
}

// remoteSecretVars are the variables of remote name that hold a secret.
func remoteSecretVars(name string) []string {
	var out []string
	for _, s := range secretRemoteSettings {
		out = append(out, RemoteVar(name, s))
	}
	return out
}

// Lookup reads one variable, as os.LookupEnv does.
type Lookup func(name string) (string, bool)

// URLParser checks a database connection string without connecting and
// returns its parts; its error must not repeat the string. main passes
// store.ParseURL: only store knows the driver's syntax, and config sits
// below store.
type URLParser func(dsn string) (URLParts, error)

// URLParts are what config needs of a connection string.
type URLParts struct {
	Password string // empty: none
	Database string // the database it connects to (the user's name when it names none)
	Server   string // host:port, the host lower-cased
}

// Load reads and checks every variable, the connection strings with
// parseURL. The error, when not nil, is a Problems value naming each bad
// variable; it never contains a secret.
func Load(env Lookup, parseURL URLParser) (Config, error) {
	return LoadListed(env, nil, parseURL)
}

// LoadListed is Load knowing the names of the variables set too, so that a
// BACKUP_REMOTE_* variable of no configured remote (a typo, or a remote
// removed from BACKUP_REMOTES) is a problem rather than ignored.
func LoadListed(env Lookup, names []string, parseURL URLParser) (Config, error) {
	r := &reader{env: env, parseURL: parseURL, seenNames: map[string]bool{}}
	f := r.scan(names)
	r.several = len(f.urls) > 0 || len(f.servers) > 0
	c := r.settings()
	r.fleet(&c, &f)
	r.strays(names)
	// Secrets even when no remote uses them: a redactor hides them anyway.
	r.secrets = append(r.secrets, r.str("AWS_SECRET_ACCESS_KEY", ""), r.str("AWS_SESSION_TOKEN", ""))
	slices.Sort(r.secrets)
	c.secrets = slices.DeleteFunc(slices.Compact(r.secrets), func(s string) bool { return s == "" })
	c.Databases = databases(c, &f)
	return c, r.err()
}

// settings reads every setting but the named databases and servers: once
// for the configuration, and once more for each named database through its
// overrides.
func (r *reader) settings() Config {
	var c Config
	c.BotToken = r.token("TELEGRAM_BOT_TOKEN")
	c.AdminIDs = r.ids("TELEGRAM_ADMIN_IDS")
	c.ChatID = r.chatID("TELEGRAM_CHAT_ID", 0)
	if c.ChatID == 0 && len(c.AdminIDs) > 0 {
		c.ChatID = c.AdminIDs[0]
	}
	c.APIURL = r.httpURL("TELEGRAM_API_URL", DefaultAPIURL)
	c.DatabaseURL = r.databaseURL("DATABASE_URL")
	c.StatusTables = r.idents("STATUS_TABLES", DefaultStatusTables)
	c.KeysTable = r.ident("KEYS_TABLE", DefaultKeysTable)
	c.KeysAgeColumn = r.column("KEYS_AGE_COLUMN", DefaultKeysAgeColumn)
	c.LatencyThreshold = time.Duration(r.whole("DB_QUERY_LATENCY_THRESHOLD_MS", DefaultLatencyMS)) * time.Millisecond
	c.PoolThreshold = r.share("DB_POOL_USAGE_THRESHOLD", DefaultPoolThreshold)
	c.RetentionDays = r.whole("DB_CLEANUP_RETENTION_DAYS", DefaultRetentionDays)
	c.BackupDir = r.str("BACKUP_DIR", DefaultBackupDir)
	c.BackupCopy = r.str("BACKUP_COPY_COMMAND", "")
	c.PGBinDir = r.dirs("PG_BIN_DIR")
	c.SentryDSN = r.sentryDSN("SENTRY_DSN")
	c.LogLevel = r.logLevel("LOG_LEVEL", DefaultLogLevel)
	c.KeepDaily = r.whole("BACKUP_KEEP_DAILY", DefaultKeepDaily)
	c.KeepMonthly = r.whole("BACKUP_KEEP_MONTHLY", DefaultKeepMonthly)
	c.KeepHourly = r.whole("BACKUP_KEEP_HOURLY", DefaultKeepHourly)
	c.KeepWeekly = r.whole("BACKUP_KEEP_WEEKLY", DefaultKeepWeekly)
	c.DropWarn = r.share("BACKUP_DROP_WARN", DefaultDropWarn)
	c.BackupMaxAge = time.Duration(r.whole("BACKUP_MAX_AGE_HOURS", DefaultBackupMaxAge)) * time.Hour
	c.Location = r.location("SCHEDULE_TZ", DefaultScheduleTZ)
	c.FingerprintTables = r.idents("RESTORE_FINGERPRINT_TABLES", DefaultFingerprint)
	c.RestoreDatabaseURL = r.optionalDatabaseURL("RESTORE_DATABASE_URL")
	c.ConfirmTTL = r.duration("CONFIRM_TTL", DefaultConfirmTTL)
	c.CleanupBatchSize = r.whole("CLEANUP_BATCH_SIZE", DefaultCleanupBatch)
	c.CleanupExpiresColumn = r.optionalColumn("CLEANUP_EXPIRES_COLUMN", DefaultExpiresColumn)
	c.CleanupVacuum = r.onOff("CLEANUP_VACUUM", true)
	c.CleanupProtected = r.list("CLEANUP_PROTECTED_TYPES", DefaultProtectedTypes)
	c.CleanupUndoTTL = time.Duration(r.whole("CLEANUP_UNDO_HOURS", DefaultUndoHours)) * time.Hour
	c.CleanupWarnRows = r.whole("CLEANUP_WARN_ROWS", DefaultCleanupWarnRows)
	c.CleanupMaxRows = r.whole("CLEANUP_MAX_ROWS", DefaultCleanupMaxRows)
	c.CleanupMaxShare = r.share("CLEANUP_MAX_SHARE", DefaultCleanupMaxShare)
	c.BackupSchedule = r.schedule("BACKUP_SCHEDULE", DefaultBackupSchedule)
	c.CleanupSchedule = r.schedule("CLEANUP_SCHEDULE", DefaultCleanupSchedule)
	c.RestoreSchedule = r.schedule("RESTORE_TEST_SCHEDULE", DefaultRestoreSchedule)
	c.SummarySchedule = r.schedule("SUMMARY_SCHEDULE", DefaultSummarySchedule)
	c.Schema = r.ident("PGKEEPER_SCHEMA", DefaultSchema).Name
	c.StartupDBWait = r.duration("STARTUP_DB_WAIT", DefaultStartupDBWait)
	c.DBWatch = r.durationOrOff("DB_WATCH_INTERVAL", DefaultDBWatchInterval)
	c.ThreadID = r.optionalWhole("TELEGRAM_THREAD_ID")
	c.NotifySuccess = r.oneOf("NOTIFY_SUCCESS", DefaultNotifySuccess, "brief", "full", "off")
	c.HTTPAddr = r.addr("HTTP_ADDR")
	c.Remotes = r.remotes("BACKUP_REMOTES")
	c.AgeRecipients = r.recipients("BACKUP_AGE_RECIPIENTS")
	c.StateURL = r.optionalDatabaseURL("PGKEEPER_STATE_URL")
	c.Parallel = r.whole("BACKUP_PARALLEL", DefaultParallel)
	return c
}

// RequireBot checks what only `serve` needs: a token and at least one admin.
func (c Config) RequireBot() error {
	var p Problems
	if c.BotToken == "" {
		p = append(p, Problem{Var: "TELEGRAM_BOT_TOKEN", Msg: "required to run the bot (from @BotFather)"})
	}
	if len(c.AdminIDs) == 0 {
		p = append(p, Problem{Var: "TELEGRAM_ADMIN_IDS", Msg: "required to run the bot: comma-separated Telegram user ids"})
	}
	if len(p) == 0 {
		return nil
	}
	return p
}

// Secrets are the values that must never be printed, for a redactor.
func (c Config) Secrets() []string {
	return append([]string{c.BotToken, c.SentryDSN}, c.secrets...)
}
