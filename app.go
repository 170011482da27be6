package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/joho/godotenv"

	"github.com/pgkeeper/pgkeeper/internal/config"
	"github.com/pgkeeper/pgkeeper/internal/redact"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/service"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
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
	// roles, when set, shares a server's roles dump among its databases' backups.
	roles *jobs.Roles
	// heading opens every message serve's bot sends (the demo's); "": none.
	heading string
	stdout  io.Writer
	stderr  io.Writer
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
	lookup, dotenv, err := withDotenv(env)
	if err != nil {
		return config.Config{}, err
	}
	cfg, err := config.LoadListed(lookup, setNames(lookup, dotenv), store.ParseURL)
	if require != nil {
		err = config.Join(err, require(cfg))
	}
	return cfg, err
}

// withDotenv is env, then ./.env for what env does not set.
func withDotenv(env func(string) (string, bool)) (func(string) (string, bool), map[string]string, error) {
	dotenv, err := godotenv.Read(".env")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf(".env: cannot be read: %w (quote values with special characters in single quotes)", err)
	}
	return func(k string) (string, bool) {
		if v, ok := env(k); ok {
			return v, true
		}
		v, ok := dotenv[k]
		return v, ok
	}, dotenv, nil
}

// setNames are the variables set, in the environment (as lookup sees it)
// or in .env: Load finds the named databases, servers and overrides in
// them, and a remote's variable of no configured remote.
func setNames(lookup func(string) (string, bool), dotenv map[string]string) []string {
	var names []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); config.Scanned(k) {
			if _, ok := lookup(k); ok {
				names = append(names, k)
			}
		}
	}
	for k := range dotenv {
		names = append(names, k)
	}
	return names
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

// capture sends a job's failure to Sentry, tagged so alerts can route on it.
func (a *app) capture(trigger vocab.Trigger) func(component string, err error) {
	return func(component string, err error) { service.Capture(a.hub, a.red, trigger)(component, err) }
}
