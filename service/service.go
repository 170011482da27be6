package service

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/getsentry/sentry-go"
	"github.com/jonboulle/clockwork"

	"github.com/pgkeeper/pgkeeper/internal/config"
	"github.com/pgkeeper/pgkeeper/internal/present/metrics"
	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/internal/redact"
	"github.com/pgkeeper/pgkeeper/internal/slots"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// Notifier queues a message for the alert chat (the outbox implements it).
// Send's error means the message was not queued; SendPhoto's, that the
// photo was not, and its caption then goes as text.
type Notifier interface {
	Send(ctx context.Context, html string) error
	SendPhoto(ctx context.Context, png []byte, caption string) error
}

// Offerer posts a held-back cleanup's preview with [Delete N keys] [Cancel]
// to the alert chat (the bot implements it); an error means it did not get
// there.
type Offerer interface {
	OfferCleanup(ctx context.Context, html string, toDelete int64) error
}

// Jobs are the jobs serve runs on its own, configured by the caller.
type Jobs struct {
	Backup  jobs.RecordedBackup
	Cleanup jobs.RecordedCleanup
	Restore jobs.RecordedRestore
	Status  *jobs.Status
	Catalog jobs.Catalog
}

// Service is the long-running part of `pgkeeper serve`: the schedules and
// what each run says and to whom, the catch-up backup, the database watch
// and the metrics. Its fields are set once, before Start.
type Service struct {
	Config   config.Config
	DB       *store.DB
	History  *jobs.History // nil: pgkeeper's schema could not be prepared
	Jobs     Jobs
	Notifier Notifier
	Offerer  Offerer // nil: a held-back cleanup is a plain notice
	Logger   *slog.Logger
	Redactor *redact.Redactor
	Hub      *sentry.Hub // nil: Sentry off
	// Name is the database's name when serve guards several: its messages
	// are headed with it, its schedules and Sentry events carry it. Empty:
	// the one database, as always.
	Name string
	// Slots bounds heavy jobs per server across the databases serve guards
	// (BACKUP_PARALLEL); Server is this database's (host:port). nil: no bound.
	Slots  *slots.Servers
	Server string
	Clock  clockwork.Clock // the schedules' clock; nil: the wall clock

	metrics *metrics.Metrics // FeedMetrics's; nil: none
}

// deliver queues html for the alert chat; a failure is logged: the job that
// speaks must not fail for it.
func (s *Service) deliver(ctx context.Context, html string) {
	html = s.headed(html)
	if err := s.Notifier.Send(ctx, html); err != nil {
		s.Logger.Error("could not queue a notification", "err", s.Redactor.Error(err))
	}
}

// headed is a message headed with the database's name when serve guards
// several.
func (s *Service) headed(html string) string {
	if s.Name == "" {
		return html
	}
	return render.ForDatabase(s.Name, html)
}

// capture sends a failure to Sentry, tagged with its trigger (and its
// database when serve guards several).
func (s *Service) capture(trigger vocab.Trigger, component string, err error) {
	hub := s.Hub
	if hub != nil && s.Name != "" {
		hub = hub.Clone()
		hub.ConfigureScope(func(sc *sentry.Scope) { sc.SetTag("database", s.Name) })
	}
	Capture(hub, s.Redactor, trigger)(component, err)
}

// Capture returns how a failure of a job run by trigger goes to Sentry,
// tagged so alerts can route on it; with a nil hub it does nothing.
func Capture(hub *sentry.Hub, red *redact.Redactor, trigger vocab.Trigger) func(component string, err error) {
	return func(component string, err error) {
		if hub == nil {
			return
		}
		hub := hub.Clone()
		hub.ConfigureScope(func(s *sentry.Scope) {
			s.SetTag("component", component)
			s.SetTag("operation", component)
			s.SetTag("trigger", string(trigger))
			// Which remote failed, so alerts can route on it too; its
			// reason (never a secret: the remote package masks them) is
			// in the message.
			var re *jobs.RemoteError
			if errors.As(err, &re) {
				s.SetTag("remote", strings.Join(re.Remotes(), ","))
			}
		})
		hub.CaptureException(red.Error(err))
	}
}
