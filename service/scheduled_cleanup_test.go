package service

import (
	"context"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/getsentry/sentry-go"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// cleanupService is the Service as serve sets it up, over a seeded
// database, its Sentry events recorded.
func cleanupService(t *testing.T, env map[string]string) (*Service, string, *sentry.MockTransport) {
	t.Helper()
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 3, Keys: 500, Days: 60})
	base := map[string]string{"NOTIFY_SUCCESS": "full"}
	for k, v := range env {
		base[k] = v
	}
	s := newService(t, url, base)
	hub, tr := mockHub(t)
	s.Hub = hub
	return s, url, tr
}

// expiredNow counts what the cleanup rule selects now (see bot's deletable).
const expiredNow = `SELECT count(*) FROM whatsapp_keys k WHERE (k.updated_at < now() - interval '30 days' OR k.expires_at < now())
	AND k.key_type NOT IN ('app-state-sync-key', 'app-state-sync-version')
	AND NOT EXISTS (SELECT 1 FROM whatsapp_auth a WHERE a.company_id = k.company_id
	                AND k.key_type = 'pre-key' AND k.key_id = ((a.creds->>'nextPreKeyId')::bigint - 1)::text)`

func TestScheduledCleanup(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		offerErr   error
		wantDelete bool
		wantOffer  bool
		wantNotify string // in the notice, when one is due
		wantLevel  sentry.Level
		wantRun    vocab.Outcome // outcome in the history
	}{
		{name: "over the guard posts the preview with buttons and deletes nothing", env: map[string]string{"CLEANUP_MAX_ROWS": "10"},
			wantOffer: true, wantLevel: sentry.LevelWarning, wantRun: "warning"},
		{name: "over the guard without the bot says run /cleanup", env: map[string]string{"CLEANUP_MAX_ROWS": "10"},
			offerErr: io.ErrClosedPipe, wantNotify: "Run /cleanup to review", wantLevel: sentry.LevelWarning, wantRun: "warning"},
		{name: "under the guard deletes and reports", env: map[string]string{"CLEANUP_MAX_SHARE": "0.9"},
			wantDelete: true, wantNotify: "Cleanup deleted", wantLevel: sentry.LevelInfo, wantRun: "ok"},
		{name: "over CLEANUP_WARN_ROWS is a warning", env: map[string]string{"CLEANUP_MAX_SHARE": "0.9", "CLEANUP_WARN_ROWS": "5"},
			wantDelete: true, wantNotify: "Cleanup deleted", wantLevel: sentry.LevelWarning, wantRun: "warning"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, url, sent := cleanupService(t, tt.env)
			rows, expired := pgtest.QueryInt(t, url, "SELECT count(*) FROM whatsapp_keys"), pgtest.QueryInt(t, url, expiredNow)
			if expired <= 10 {
				t.Fatalf("only %d expired keys: the guard cases need more than 10", expired)
			}
			var offers []string
			told := &notices{}
			a.Notifier = told
			a.Offerer = offerFunc(func(_ context.Context, html string, n int64) error {
				offers = append(offers, html+"\nbutton: "+strconv.FormatInt(n, 10))
				return tt.offerErr
			})
			if err := a.scheduledCleanup(context.Background(), 0); err != nil {
				t.Fatal(err)
			}
			notices := told.html
			left := pgtest.QueryInt(t, url, "SELECT count(*) FROM whatsapp_keys")
			switch {
			case tt.wantDelete && (left >= rows || pgtest.QueryInt(t, url, expiredNow) != 0):
				t.Errorf("%d of %d rows left, %d expired: the run should have deleted them", left, rows, expired)
			case !tt.wantDelete && left != rows:
				t.Errorf("%d of %d rows left: a held-back run deleted", left, rows)
			}
			if tt.wantOffer != (tt.offerErr == nil && len(offers) == 1) {
				t.Errorf("offers: %q", offers)
			}
			if tt.wantOffer {
				if !strings.Contains(offers[0], "deleted nothing") || !strings.Contains(offers[0], "CLEANUP_MAX_ROWS") ||
					!strings.Contains(offers[0], "would be deleted") || !strings.HasSuffix(offers[0], "button: "+strconv.FormatInt(expired, 10)) {
					t.Errorf("offer:\n%s", offers[0])
				}
				if len(notices) != 0 {
					t.Errorf("a notice as well as the buttons: %q", notices)
				}
			}
			if tt.wantNotify != "" && (len(notices) != 1 || !strings.Contains(notices[0], tt.wantNotify)) {
				t.Errorf("notices %q, want one with %q", notices, tt.wantNotify)
			}
			if ev := sent.Events(); len(ev) != 1 || ev[0].Level != tt.wantLevel || ev[0].Tags["trigger"] != "schedule" {
				t.Errorf("sentry events %+v, want one at %q", ev, tt.wantLevel)
			}
			last, err := a.History.LastRuns(context.Background())
			if err != nil || last["cleanup"].Outcome != tt.wantRun || last["cleanup"].Trigger != "schedule" {
				t.Errorf("history: %+v, %v; want a scheduled cleanup, %s", last["cleanup"], err, tt.wantRun)
			}
		})
	}
}
