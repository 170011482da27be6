package service

import (
	"testing"

	"github.com/getsentry/sentry-go"

	"github.com/pgkeeper/pgkeeper/jobs"
)

func TestCleanupEventLevel(t *testing.T) {
	tests := []struct {
		name      string
		give      jobs.CleanupReport
		wantLevel sentry.Level // "": no event
	}{
		{"over CLEANUP_WARN_ROWS is a warning", jobs.CleanupReport{Deleted: 1001, WarnRows: 1000}, sentry.LevelWarning},
		{"at CLEANUP_WARN_ROWS is info", jobs.CleanupReport{Deleted: 1000, WarnRows: 1000}, sentry.LevelInfo},
		{"a few is info", jobs.CleanupReport{Deleted: 3, WarnRows: 1000}, sentry.LevelInfo},
		{"held back by the guards is a warning", jobs.CleanupReport{Guarded: true, GuardReason: "over CLEANUP_MAX_ROWS", WarnRows: 1000}, sentry.LevelWarning},
		{"nothing deleted says nothing", jobs.CleanupReport{WarnRows: 1000}, ""},
		{"a failure goes as an exception elsewhere", jobs.CleanupReport{Deleted: 5, Error: "boom", WarnRows: 1000}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub, tr := mockHub(t)
			CleanupEvent(hub, nil, "chat:42", tt.give)
			got := tr.Events()
			if tt.wantLevel == "" {
				if len(got) != 0 {
					t.Fatalf("%d events, want none", len(got))
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("%d events, want 1", len(got))
			}
			e := got[0]
			if e.Level != tt.wantLevel || e.Tags["component"] != "cleanup" || e.Tags["trigger"] != "chat" {
				t.Errorf("level %q tags %v, want %q component=cleanup trigger=chat", e.Level, e.Tags, tt.wantLevel)
			}
			if c := e.Contexts["cleanup"]; c == nil || c["deleted"] != tt.give.Deleted || c["warn_rows"] != tt.give.WarnRows || c["trigger"] != "chat" {
				t.Errorf("cleanup context %v", e.Contexts["cleanup"])
			}
		})
	}
}
