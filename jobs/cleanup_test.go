package jobs_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/jobs"
)

// cleanupDB seeds a Baileys database shaped for the rules: every company's
// current pre-key made old (it must survive anyway) and one fresh row whose
// expires_at has passed (it must go).
func cleanupDB(t *testing.T, keys int) string {
	t.Helper()
	url := pgtest.NewBaileysDB(t, pgtest.Seed{Companies: 3, Keys: keys, Days: 60})
	pgtest.Exec(t, url, `
		UPDATE whatsapp_keys k SET updated_at = now() - interval '50 days'
		FROM whatsapp_auth a WHERE a.company_id = k.company_id
		  AND k.key_type = 'pre-key' AND k.key_id = ((a.creds->>'nextPreKeyId')::bigint - 1)::text;
		INSERT INTO whatsapp_keys (company_id, key_type, key_id, value, updated_at, expires_at)
		VALUES ('company_962301', 'lid-mapping', 'expired-but-fresh', '"x"', now(), now() - interval '1 hour')`)
	return url
}

func cleanupJob(t *testing.T, url string, now time.Time) *jobs.Cleanup {
	t.Helper()
	cfg := jobs.DefaultCleanupConfig(filepath.Join(t.TempDir(), "backups", "undo"))
	cfg.BatchSize = 200
	cfg.MaxRows, cfg.MaxShare = 1_000_000, 1
	return &jobs.Cleanup{DB: openDB(t, url), Config: cfg, Now: func() time.Time { return now }}
}

// checksum is a 60-bit digest of a query's rows, for before/after comparisons.
func checksum(t *testing.T, url, query string, args ...any) int64 {
	t.Helper()
	return pgtest.QueryInt(t, url, `SELECT ('x' || substr(md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')), 1, 15))::bit(60)::bigint
		FROM (`+query+`) r`, args...)
}

func count(t *testing.T, url, query string, args ...any) int64 {
	t.Helper()
	return pgtest.QueryInt(t, url, query, args...)
}

// exact runs a count that may use $1 (the cutoff) and $2 (now).
func exact(t *testing.T, url, query string, cutoff, now time.Time) int64 {
	t.Helper()
	switch {
	case strings.Contains(query, "$2") && !strings.Contains(query, "$1"):
		return count(t, url, strings.ReplaceAll(query, "$2", "$1"), now)
	case strings.Contains(query, "$2"):
		return count(t, url, query, cutoff, now)
	case strings.Contains(query, "$1"):
		return count(t, url, query, cutoff)
	}
	return count(t, url, query)
}

func TestCleanupPreviewMatchesExactCounts(t *testing.T) {
	url := cleanupDB(t, 3000)
	now := time.Now()
	cutoff := now.Add(-30 * 24 * time.Hour)
	p, err := cleanupJob(t, url, now).Preview(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	c := p.Counts
	if want := count(t, url, "SELECT count(*) FROM whatsapp_keys k WHERE "+pgtest.Deletable, cutoff, now); c.Expired != want || p.ToDelete() != want || want == 0 {
		t.Errorf("to delete: preview %d, SQL %d", c.Expired, want)
	}
	for _, kt := range c.ByType {
		want := count(t, url, "SELECT count(*) FROM whatsapp_keys k WHERE k.key_type = $3 AND "+pgtest.Deletable, cutoff, now, kt.Type)
		rows := count(t, url, "SELECT count(*) FROM whatsapp_keys WHERE key_type = $1", kt.Type)
		if kt.Expired != want || kt.Rows != rows {
			t.Errorf("%s: preview %d of %d, SQL %d of %d", kt.Type, kt.Expired, kt.Rows, want, rows)
		}
	}
	figures := map[string]struct {
		got  int64
		want string
	}{
		"rows":                  {c.Rows, "SELECT count(*) FROM whatsapp_keys"},
		"kept: protected types": {c.KeptProtected, "SELECT count(*) FROM whatsapp_keys k WHERE (k.updated_at < $1 OR k.expires_at < $2) AND key_type IN ('app-state-sync-key', 'app-state-sync-version')"},
		"kept: current pre-key": {c.KeptCurrentPreKey, `SELECT count(*) FROM whatsapp_keys k JOIN whatsapp_auth a ON a.company_id = k.company_id
			AND k.key_type = 'pre-key' AND k.key_id = ((a.creds->>'nextPreKeyId')::bigint - 1)::text WHERE k.updated_at < $1 OR k.expires_at < $2`},
		"expired by expires_at only": {c.ByExpiresOnly, "SELECT count(*) FROM whatsapp_keys k WHERE NOT k.updated_at < $1 AND " + pgtest.Deletable},
		"bucket <1 d":                {c.Buckets[0], "SELECT count(*) FROM whatsapp_keys WHERE updated_at >= $2::timestamptz - interval '1 day'"},
		"bucket 14-30 d":             {c.Buckets[3], "SELECT count(*) FROM whatsapp_keys WHERE updated_at < $2::timestamptz - interval '14 days' AND updated_at >= $1"},
		"bucket >30 d":               {c.Buckets[4], "SELECT count(*) FROM whatsapp_keys WHERE updated_at < $1"},
		"oldest (unix s)":            {c.Oldest.Unix(), "SELECT floor(extract(epoch FROM min(updated_at)))::bigint FROM whatsapp_keys"},
		"newest (unix s)":            {c.Newest.Unix(), "SELECT floor(extract(epoch FROM max(updated_at)))::bigint FROM whatsapp_keys"},
	}
	for name, e := range figures {
		if want := exact(t, url, e.want, cutoff, now); e.got != want {
			t.Errorf("%s: preview %d, SQL %d", name, e.got, want)
		}
	}
	if sum := c.Buckets[0] + c.Buckets[1] + c.Buckets[2] + c.Buckets[3] + c.Buckets[4]; sum != c.Rows {
		t.Errorf("buckets add up to %d, not %d rows", sum, c.Rows)
	}
	if s := p.Sizes; s.TableBytes <= 0 || s.IndexBytes <= 0 || s.TotalBytes < s.TableBytes+s.IndexBytes {
		t.Errorf("sizes: %+v", s)
	}
	if p.Guard != "" {
		t.Errorf("no guard expected with generous limits: %q", p.Guard)
	}
}

func TestCleanupDeletesExactlyTheExpired(t *testing.T) {
	url := cleanupDB(t, 3000)
	now := time.Now()
	cutoff := now.Add(-30 * 24 * time.Hour)
	job := cleanupJob(t, url, now)
	auth := checksum(t, url, "SELECT * FROM whatsapp_auth")
	p, err := job.Preview(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// Written by the live service between the preview and the button press.
	pgtest.Exec(t, url, `UPDATE whatsapp_keys SET updated_at = now(), expires_at = now() + interval '7 days', value = '{"touched":1}'
		WHERE (company_id, key_type, key_id) = (SELECT company_id, key_type, key_id FROM whatsapp_keys k
		WHERE `+pgtest.Deletable+` AND key_id <> 'expired-but-fresh' ORDER BY 1, 2, 3 LIMIT 1)`, cutoff, now)
	pgtest.Exec(t, url, "CREATE TABLE gone (LIKE whatsapp_keys); CREATE TABLE kept (LIKE whatsapp_keys)")
	pgtest.Exec(t, url, "INSERT INTO gone SELECT * FROM whatsapp_keys k WHERE "+pgtest.Deletable, cutoff, now)
	pgtest.Exec(t, url, "INSERT INTO kept SELECT * FROM whatsapp_keys k WHERE NOT ("+pgtest.Deletable+")", cutoff, now)
	want := count(t, url, "SELECT count(*) FROM gone")
	if p.ToDelete() != want+1 {
		t.Fatalf("preview said %d, one was touched since: want %d", p.ToDelete(), want+1)
	}
	before := count(t, url, "SELECT count(*) FROM whatsapp_keys")

	var phases []string
	r, err := job.Run(t.Context(), jobs.CleanupOptions{Confirmed: true, Trigger: "test"}, func(pr jobs.CleanupProgress) {
		if pr.Phase == jobs.PhaseDeleting && pr.Batches == 1 {
			// Written by the live service while the cleanup runs: the last
			// pgtest.Deletable key in the table's physical order, not walked yet.
			pgtest.Exec(t, url, `UPDATE whatsapp_keys SET updated_at = now(), expires_at = now() + interval '7 days', value = '{"late":1}'
				WHERE ctid = (SELECT ctid FROM whatsapp_keys k WHERE `+pgtest.Deletable+` AND key_id <> 'expired-but-fresh'
				ORDER BY ctid DESC LIMIT 1)`, cutoff, now)
		}
		phases = append(phases, pr.Phase)
	})
	if err != nil || !r.OK() || r.Guarded || r.Stopped {
		t.Fatalf("run: %v %+v", err, r)
	}
	after := count(t, url, "SELECT count(*) FROM whatsapp_keys")
	if r.Deleted != want-1 || before-after != r.Deleted {
		t.Errorf("deleted %d (table lost %d), want %d", r.Deleted, before-after, want-1)
	}
	checks := map[string]string{
		"expired rows left":     "SELECT count(*) FROM whatsapp_keys k WHERE " + pgtest.Deletable,
		"kept rows lost":        "SELECT count(*) FROM kept k WHERE NOT EXISTS (SELECT 1 FROM whatsapp_keys w WHERE (w.company_id, w.key_type, w.key_id) = (k.company_id, k.key_type, k.key_id))",
		"current pre-keys lost": "SELECT 3 - count(*) FROM whatsapp_keys k JOIN whatsapp_auth a ON a.company_id = k.company_id AND k.key_type = 'pre-key' AND k.key_id = ((a.creds->>'nextPreKeyId')::bigint - 1)::text WHERE k.updated_at < $1",
		"protected rows lost":   "SELECT count(*) FROM kept k WHERE key_type LIKE 'app-state-sync-%' AND NOT EXISTS (SELECT 1 FROM whatsapp_keys w WHERE (w.company_id, w.key_type, w.key_id) = (k.company_id, k.key_type, k.key_id))",
		"touched rows lost":     "SELECT 2 - count(*) FROM whatsapp_keys WHERE value IN ('{\"touched\":1}', '{\"late\":1}')",
		"past expires_at left":  "SELECT count(*) FROM whatsapp_keys WHERE key_id = 'expired-but-fresh'",
	}
	for name, q := range checks {
		if n := exact(t, url, q, cutoff, now); n != 0 {
			t.Errorf("%s: %d", name, n)
		}
	}
	var sum int64
	for _, tc := range r.DeletedByType {
		sum += tc.Rows
		n := count(t, url, "SELECT count(*) FROM gone WHERE key_type = $1", tc.Type)
		if tc.Type == "" || tc.Rows > n || tc.Rows < n-1 {
			t.Errorf("deleted %d %s keys, %d were expired", tc.Rows, tc.Type, n)
		}
	}
	if sum != r.Deleted {
		t.Errorf("by type adds up to %d, not %d", sum, r.Deleted)
	}
	if got := checksum(t, url, "SELECT * FROM whatsapp_auth"); got != auth {
		t.Error("whatsapp_auth changed")
	}
	if !r.Vacuum.Ran || r.Vacuum.DeadBefore < r.Deleted || r.Vacuum.DeadAfter >= r.Vacuum.DeadBefore {
		t.Errorf("vacuum: %+v", r.Vacuum)
	}
	if r.Batches < 2 || r.Rate <= 0 || r.UndoFile == "" || !r.UndoExpiry.Equal(now.Add(24*time.Hour)) || r.Level() != jobs.LevelWarn || !r.OverWarnRows() {
		t.Errorf("report: batches %d rate %.0f undo %q until %s level %v", r.Batches, r.Rate, r.UndoFile, r.UndoExpiry, r.Level())
	}
	if len(phases) == 0 || phases[len(phases)-1] != jobs.PhaseDeleting && phases[len(phases)-1] != jobs.PhaseVacuum {
		t.Errorf("progress phases %v", phases)
	}
}

func TestCleanupStopsBetweenBatches(t *testing.T) {
	url := cleanupDB(t, 3000)
	now := time.Now()
	job := cleanupJob(t, url, now)
	before := count(t, url, "SELECT count(*) FROM whatsapp_keys")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	r, err := job.Run(ctx, jobs.CleanupOptions{Confirmed: true}, func(p jobs.CleanupProgress) {
		if p.Phase == jobs.PhaseDeleting && p.Batches >= 1 {
			cancel() // the [Stop] button, or SIGTERM
		}
	})
	if err != nil || !r.Stopped || r.Deleted == 0 || r.Batches != 1 || r.Vacuum.Ran {
		t.Fatalf("stop: %v %+v", err, r)
	}
	after := count(t, url, "SELECT count(*) FROM whatsapp_keys")
	if before-after != r.Deleted {
		t.Errorf("table lost %d rows, report says %d", before-after, r.Deleted)
	}
	left := count(t, url, "SELECT count(*) FROM whatsapp_keys k WHERE "+pgtest.Deletable, now.Add(-30*24*time.Hour), now)
	if left != r.Preview.ToDelete()-r.Deleted {
		t.Errorf("%d expired left, want %d - %d", left, r.Preview.ToDelete(), r.Deleted)
	}
	runs, err := job.ListUndo(t.Context())
	if err != nil || len(runs) != 1 || runs[0].Rows != r.Deleted || runs[0].Complete {
		t.Fatalf("undo of a stopped run: %v %+v", err, runs)
	}
}
