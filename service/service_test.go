package service

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"

	"github.com/getsentry/sentry-go"

	"github.com/pgkeeper/pgkeeper/bot"
	"github.com/pgkeeper/pgkeeper/internal/config"
	"github.com/pgkeeper/pgkeeper/internal/redact"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/telegramtest"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/outbox"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const alertChat = "4242"

// newService is the Service serve builds over the database at url, with
// env added to (or overriding) its defaults and pgkeeper's schema prepared;
// it has no Notifier. Its jobs are configured as the root package's app
// configures them.
func newService(t *testing.T, url string, env map[string]string) *Service {
	t.Helper()
	full := map[string]string{"DATABASE_URL": url, "PG_BIN_DIR": pgtest.BinDir(t), "BACKUP_DIR": t.TempDir()}
	for k, v := range env {
		full[k] = v
	}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := full[k]; return v, ok }, store.ParseURL)
	if err != nil {
		t.Fatal(err)
	}
	red := redact.New(cfg.Secrets()...)
	log := slog.New(redact.NewHandler(slog.NewTextHandler(os.Stderr, nil), red))
	db, err := store.Open(context.Background(), cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if err := db.Migrate(context.Background(), cfg.Schema); err != nil {
		t.Fatal(err)
	}
	hist := &jobs.History{DB: db, Schema: cfg.Schema, Logger: log, Redactor: red, Heartbeat: jobs.DefaultHeartbeat}
	s := &Service{Config: cfg, DB: db, History: hist, Logger: log, Redactor: red}
	s.Jobs = testJobs(cfg, db, hist, func(trigger vocab.Trigger, r jobs.CleanupReport) { CleanupEvent(s.Hub, red, trigger, r) })
	return s
}

// testJobs configures the jobs as the root package's app does.
func testJobs(c config.Config, db *store.DB, hist *jobs.History, afterCleanup func(vocab.Trigger, jobs.CleanupReport)) Jobs {
	restore := &jobs.RestoreTest{DB: db, Config: jobs.RestoreConfigFrom(c)}
	return Jobs{
		Backup:  jobs.RecordedBackup{History: hist, Backup: &jobs.Backup{DB: db, Config: jobs.BackupConfigFrom(c)}},
		Cleanup: jobs.RecordedCleanup{Cleanup: &jobs.Cleanup{DB: db, Config: jobs.CleanupConfigFrom(c)}, History: hist, Via: vocab.TriggerSchedule, AfterRun: afterCleanup},
		Restore: jobs.RecordedRestore{History: hist, RestoreTest: restore},
		Status:  &jobs.Status{DB: db, History: hist, Restore: restore, Config: jobs.StatusConfigFrom(c, "")},
		Catalog: jobs.Catalog{Dir: c.BackupDir, DB: db},
	}
}

// serveService is newService against a seeded database and a fake Bot API,
// its Notifier the outbox, delivering until the test ends.
func serveService(t *testing.T, env map[string]string) (*Service, *telegramtest.Server) {
	t.Helper()
	api := telegramtest.New(t)
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 2, Keys: 600, Days: 40})
	full := map[string]string{"TELEGRAM_BOT_TOKEN": api.Token, "TELEGRAM_API_URL": api.URL, "TELEGRAM_ADMIN_IDS": "1001", "TELEGRAM_CHAT_ID": alertChat}
	for k, v := range env {
		full[k] = v
	}
	s := newService(t, url, full)
	ob, err := outbox.New(outbox.Config{DB: s.DB, Schema: s.Config.Schema,
		Sender: &bot.Sender{APIURL: s.Config.APIURL, Token: s.Config.BotToken, Redactor: s.Redactor},
		ChatID: s.Config.ChatID, Logger: s.Logger, Redactor: s.Redactor})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = ob.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	s.Notifier = ob
	return s, api
}

// mockHub is a Sentry hub whose events stay in the returned transport.
func mockHub(t *testing.T) (*sentry.Hub, *sentry.MockTransport) {
	t.Helper()
	tr := &sentry.MockTransport{}
	c, err := sentry.NewClient(sentry.ClientOptions{Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	return sentry.NewHub(c, sentry.NewScope()), tr
}

// notices is a Notifier that keeps what it is told; it takes no photos.
type notices struct {
	mu   sync.Mutex
	html []string
}

func (n *notices) Send(_ context.Context, html string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.html = append(n.html, html)
	return nil
}

func (n *notices) SendPhoto(context.Context, []byte, string) error { return os.ErrInvalid }

// offerFunc is an Offerer.
type offerFunc func(ctx context.Context, html string, toDelete int64) error

func (f offerFunc) OfferCleanup(ctx context.Context, html string, toDelete int64) error {
	return f(ctx, html, toDelete)
}
