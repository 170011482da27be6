package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/vocab"
)

// A database without a keys table (KEYS_TABLE_<NAME>= empty) has no key
// ages to tell: its status says nothing of them, and warns of nothing.
func TestStatusWithoutAKeysTable(t *testing.T) {
	db := openDB(t, pgtest.NewDB(t))
	s := statusJob(db, pgtest.BinDir(t), time.Now())
	s.Config.Tables, s.Config.KeysTable = nil, vocab.Ident{}
	r := s.Run(context.Background())
	for _, f := range r.Findings {
		if strings.Contains(f.Text, "key ages") {
			t.Errorf("a finding about key ages: %s", f.Text)
		}
	}
	if r.Keys.Checked || r.Keys.Error != "" {
		t.Errorf("keys %+v, want none looked at", r.Keys)
	}
	if text := render.Status(r, render.Plain); strings.Contains(text, "Key ages") {
		t.Errorf("the report speaks of key ages:\n%s", text)
	}
}
