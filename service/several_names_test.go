package service

import (
	"testing"
)

// A database's schedules, monitors and messages carry its name only when
// serve guards several; the single database's stay as they always were.
func TestNamesOfSeveral(t *testing.T) {
	for _, tt := range []struct {
		name, job, slug, msg string
	}{
		{"", "backup", "pgkeeper-backup", "x"},
		{"crm", "backup:crm", "pgkeeper-backup-crm", "🗄 <code>crm</code>\nx"},
	} {
		s := &Service{Name: tt.name}
		if got := s.jobName("backup"); got != tt.job {
			t.Errorf("%q: job %q, want %q", tt.name, got, tt.job)
		}
		if got := monitorSlug(s.jobName("backup")); got != tt.slug {
			t.Errorf("%q: monitor %q, want %q", tt.name, got, tt.slug)
		}
		if got := s.headed("x"); got != tt.msg {
			t.Errorf("%q: message %q, want %q", tt.name, got, tt.msg)
		}
	}
}
