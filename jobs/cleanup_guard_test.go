package jobs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

func TestCleanupGuardsUnconfirmedRuns(t *testing.T) {
	url := cleanupDB(t, 2000)
	tests := []struct {
		name        string
		maxRows     int
		maxShare    float64
		confirmed   bool
		wantGuarded bool
	}{
		{"over max rows", 10, 1, false, true},
		{"over max share", 1_000_000, 0.01, false, true},
		{"confirmed by a person", 10, 0.01, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := checksum(t, url, "SELECT * FROM whatsapp_keys")
			job := cleanupJob(t, url, time.Now())
			job.Config.MaxRows, job.Config.MaxShare = tt.maxRows, tt.maxShare
			job.Config.Vacuum = false
			r, err := job.Run(t.Context(), jobs.CleanupOptions{Confirmed: tt.confirmed, Trigger: vocab.TriggerSchedule}, nil)
			if err != nil || r.Guarded != tt.wantGuarded {
				t.Fatalf("guarded %v (%q), err %v; want guarded %v", r.Guarded, r.GuardReason, err, tt.wantGuarded)
			}
			changed := checksum(t, url, "SELECT * FROM whatsapp_keys") != before
			if tt.wantGuarded && (changed || r.Deleted != 0 || r.UndoFile != "" || r.GuardReason == "" || r.Preview.ToDelete() == 0) {
				t.Errorf("guarded run touched the table (%v) or says too little: %+v", changed, r)
			}
			if !tt.wantGuarded && (!changed || r.Deleted == 0) {
				t.Errorf("confirmed run deleted nothing: %+v", r)
			}
		})
	}
}

func TestCleanupNeverTouchesTheCredentialsTable(t *testing.T) {
	url := cleanupDB(t, 500)
	pgtest.Exec(t, url, "CREATE TABLE creds AS SELECT * FROM whatsapp_auth")
	auth := checksum(t, url, "SELECT * FROM whatsapp_auth")
	tests := []struct {
		name       string
		keys, auth vocab.Ident
	}{
		{"named whatsapp_auth", vocab.Ident{Name: "whatsapp_auth"}, vocab.Ident{Name: "whatsapp_auth"}},
		{"schema-qualified", vocab.Ident{Schema: "public", Name: "whatsapp_auth"}, vocab.Ident{Name: "creds"}},
		{"the configured auth table", vocab.Ident{Name: "creds"}, vocab.Ident{Name: "creds"}},
		{"the auth table by another spelling", vocab.Ident{Schema: "public", Name: "creds"}, vocab.Ident{Name: "creds"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := cleanupJob(t, url, time.Now())
			job.Config.KeysTable, job.Config.AuthTable = tt.keys, tt.auth
			job.Config.AgeColumn, job.Config.ExpiresColumn = "updated_at", ""
			r, err := job.Run(t.Context(), jobs.CleanupOptions{Confirmed: true}, nil)
			if !errors.Is(err, store.ErrCredentialsTable) || r.OK() || r.Deleted != 0 {
				t.Fatalf("want a refusal, got %v %+v", err, r)
			}
		})
	}
	if checksum(t, url, "SELECT * FROM whatsapp_auth") != auth || count(t, url, "SELECT count(*) FROM creds") != 3 {
		t.Fatal("the credentials table changed")
	}
}

func TestCleanupLockedAcrossProcesses(t *testing.T) {
	url := cleanupDB(t, 100)
	other := openDB(t, url)
	lock, err := other.TryLock(t.Context(), "backup", "@ann (1)", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock(context.Background())
	job := cleanupJob(t, url, time.Now())
	if r, err := job.Run(t.Context(), jobs.CleanupOptions{Confirmed: true}, nil); !errors.Is(err, jobs.ErrAlreadyRunning) || r.OK() {
		t.Fatalf("run under another's lock: %v %+v", err, r)
	}
	if _, err := job.Undo(t.Context(), ""); !errors.Is(err, jobs.ErrAlreadyRunning) {
		t.Fatalf("undo under another's lock: %v", err)
	}
}
