package jobs_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/internal/present/render"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// TestCleanupFailureReportsWhatWent drives a real cleanup into a delete that
// fails (a trigger raises after a number of rows), first at once and then
// after some batches committed: the report says how many keys went before
// the failure, 0 included, and that vacuum did not run, in words.
func TestCleanupFailureReportsWhatWent(t *testing.T) {
	tests := []struct {
		name  string
		after int // rows the trigger lets go before it raises
	}{
		{"fails at the first row", 0},
		{"fails after some batches", 450},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := cleanupDB(t, 2000)
			pgtest.Exec(t, url, `CREATE SEQUENCE boom_seq;
				CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN
					IF nextval('boom_seq') > `+strconv.Itoa(tt.after)+` THEN RAISE EXCEPTION 'boom'; END IF;
					RETURN OLD;
				END $$;
				CREATE TRIGGER boom BEFORE DELETE ON whatsapp_keys FOR EACH ROW EXECUTE FUNCTION boom()`)
			before := count(t, url, "SELECT count(*) FROM whatsapp_keys")
			r, err := cleanupJob(t, url, time.Now()).Run(t.Context(), jobs.CleanupOptions{Confirmed: true}, nil)
			if err == nil || r.FailedAt != "delete" {
				t.Fatalf("want a failure at delete, got %q: %v", r.FailedAt, err)
			}
			gone := before - count(t, url, "SELECT count(*) FROM whatsapp_keys")
			if r.Deleted != gone || (tt.after == 0) != (gone == 0) {
				t.Errorf("report says %d deleted, %d went", r.Deleted, gone)
			}
			if r.Vacuum.Ran || r.Vacuum.Skipped == "" {
				t.Errorf("vacuum: %+v", r.Vacuum)
			}
			for _, f := range []render.Format{render.HTML, render.Plain} {
				text := render.Cleanup(r, f)
				if !strings.Contains(text, humanize.Int(gone)+" keys deleted before it failed") || !strings.Contains(text, "vacuum: skipped (cleanup failed)") ||
					strings.Contains(text, "()") || strings.Contains(text, "stopped: false") {
					t.Errorf("report:\n%s", text)
				}
			}
		})
	}
}
