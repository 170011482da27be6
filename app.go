package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/joho/godotenv"

	"github.com/pgkeeper/pgkeeper/bot"
	"github.com/pgkeeper/pgkeeper/internal/config"
	"github.com/pgkeeper/pgkeeper/internal/redact"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/service"
	"github.com/pgkeeper/pgkeeper/store"
)

// app is what every command shares: configuration, logger, redactor, Sentry
// and the database pool.
type app struct {
	cfg  config.Config
	log  *slog.Logger
	red  *redact.Redactor
	hub  *sentry.Hub
	db   *store.DB
	hist *jobs.History // nil when pgkeeper's schema could not be prepared
	// degraded says what a serve that started without its database runs
	// without; every /status repeats it.
	degraded string
	stdout   io.Writer
	stderr   io.Writer
}

// setup reads the configuration (environment first, then ./.env), and opens
// what every command needs. A bad configuration lists every problem at once.
func setup(ctx context.Context, env func(string) (string, bool), stdout, stderr io.Writer) (*app, error) {
	cfg, err := readConfig(env, nil)
	if err != nil {
		return nil, err
	}
	return newApp(ctx, cfg, stdout, stderr)
}

// readConfig reads the configuration (environment first, then ./.env) and
// checks it, together with what the command requires beyond it (require,
// when not nil): every problem that stops the command is in one list,
// before anything connects.
func readConfig(env func(string) (string, bool), require func(config.Config) error) (config.Config, error) {
	dotenv, err := godotenv.Read(".env")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return config.Config{}, fmt.Errorf(".env: cannot be read: %w (quote values with special characters in single quotes)", err)
	}
	lookup := func(k string) (string, bool) {
		if v, ok := env(k); ok {
			return v, true
		}
		v, ok := dotenv[k]
		return v, ok
	}
	cfg, err := config.Load(lookup)
	if require != nil {
		err = config.Join(err, require(cfg))
	}
	return cfg, err
}

// newApp opens what every command needs on a checked configuration.
func newApp(ctx context.Context, cfg config.Config, stdout, stderr io.Writer) (*app, error) {
	var err error
	a := &app{cfg: cfg, red: redact.New(cfg.Secrets()...), stdout: stdout, stderr: stderr}
	a.log = slog.New(redact.NewHandler(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}), a.red))
	if cfg.SentryDSN != "" {
		if a.hub, err = newSentry(cfg.SentryDSN, a.red); err != nil {
			return nil, err
		}
	}
	if a.db, err = store.Open(ctx, cfg.DatabaseURL); err != nil {
		return nil, a.red.Error(err)
	}
	return a, nil
}

// history prepares pgkeeper's own schema in the guarded database and returns
// the run history, or nil (logged) when the database cannot take it now: a
// down database must not stop pgkeeper from saying so.
func (a *app) history(ctx context.Context) *jobs.History {
	h, err := a.prepareHistory(ctx)
	if err != nil {
		a.log.Warn("run history off: cannot prepare pgkeeper's schema", "schema", a.cfg.Schema, "err", a.red.Error(err))
	}
	return h
}

// prepareHistory creates or migrates pgkeeper's schema, once per process.
func (a *app) prepareHistory(ctx context.Context) (*jobs.History, error) {
	if a.hist != nil {
		return a.hist, nil
	}
	mctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := a.db.Migrate(mctx, a.cfg.Schema); err != nil {
		return nil, err
	}
	a.hist = a.historyAsIs()
	return a.hist, nil
}

// historyAsIs is the run history on pgkeeper's schema without preparing it:
// for readers that must not create or migrate it (a missing schema reads as
// no runs).
func (a *app) historyAsIs() *jobs.History {
	return &jobs.History{DB: a.db, Schema: a.cfg.Schema, Logger: a.log, Redactor: a.red, Heartbeat: runHeartbeat}
}

// runHeartbeat is how often a running job says it is alive (see
// jobs.History.Heartbeat); a variable only so that tests can shorten it.
var runHeartbeat = jobs.DefaultHeartbeat

// newSentry starts a Sentry client whose events are redacted before they leave.
func newSentry(dsn string, red *redact.Redactor) (*sentry.Hub, error) {
	client, err := sentry.NewClient(sentry.ClientOptions{
		Dsn:     dsn,
		Release: "pgkeeper@" + version,
		BeforeSend: func(e *sentry.Event, _ *sentry.EventHint) *sentry.Event {
			e.Message = red.String(e.Message)
			for i := range e.Exception {
				e.Exception[i].Value = red.String(e.Exception[i].Value)
			}
			return e
		},
	})
	if err != nil {
		// The DSN itself is a secret: say only that it was refused.
		return nil, errors.New("SENTRY_DSN: refused by sentry-go; check its form")
	}
	return sentry.NewHub(client, sentry.NewScope()), nil
}

func (a *app) close() {
	a.db.Close()
	if a.hub != nil {
		a.hub.Flush(2 * time.Second)
	}
}

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

// capture sends a job's failure to Sentry, tagged so alerts can route on it.
func (a *app) capture(trigger string) func(component string, err error) {
	return func(component string, err error) { service.Capture(a.hub, a.red, trigger)(component, err) }
}

// alertFromShell raises a failed shell run's alert: Sentry, and the alert chat
// when a token is configured (the shell may run because Telegram is down:
// failing to deliver is logged, not fatal).
func (a *app) alertFromShell(ctx context.Context, component string, err error, html string) {
	a.capture("shell")(component, err)
	if a.cfg.BotToken == "" || a.cfg.ChatID == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if sendErr := bot.SendAlert(ctx, a.cfg.APIURL, a.cfg.BotToken, a.cfg.ChatID, html); sendErr != nil {
		a.log.Warn("could not send the alert to Telegram", "err", sendErr)
	}
}

// restoreJob is the restore test every trigger runs, recorded in the history
// (when there is one) so /history, /schedule and the metrics see it.
func (a *app) restoreJob() jobs.RecordedRestore {
	return jobs.RecordedRestore{History: a.hist, RestoreTest: &jobs.RestoreTest{DB: a.db, Config: jobs.RestoreConfig{
		DatabaseURL: a.cfg.DatabaseURL, RestoreDatabaseURL: a.cfg.RestoreDatabaseURL,
		BackupDir: a.cfg.BackupDir, PGBinDir: a.cfg.PGBinDir}}}
}
