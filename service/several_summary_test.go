package service

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
)

// captions is a Notifier that keeps every message and photo caption.
type captions struct {
	mu     sync.Mutex
	texts  []string
	photos int
}

func (c *captions) Send(_ context.Context, html string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.texts = append(c.texts, html)
	return nil
}

func (c *captions) SendPhoto(_ context.Context, _ []byte, caption string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.texts = append(c.texts, caption)
	c.photos++
	return nil
}

// With several databases, the daily summary and each trend chart that
// follows it are headed with their database's name (#14).
func TestSummaryOfSeveralIsHeaded(t *testing.T) {
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 1, Keys: 50, Days: 5})
	s := newService(t, url, nil)
	told := &captions{}
	s.Name, s.Notifier = "crm", told
	s.Jobs.Status.Sample(t.Context()) // a point for the charts
	if err := s.scheduledSummary(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	if len(told.texts) != 3 || !strings.Contains(told.texts[0], "Daily summary") {
		t.Fatalf("want the summary and two charts, got %q", told.texts)
	}
	for _, m := range told.texts {
		if !strings.HasPrefix(m, "🗄 <code>crm</code>\n") {
			t.Errorf("not headed with crm:\n%s", m)
		}
	}
}
