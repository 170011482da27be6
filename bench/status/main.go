// Command status times pgkeeper's /status report against the exact approach
// (COUNT(*) and exact age buckets over the whole keys table), side by side in
// one run, on each database given.
//
//	go run ./bench/status "$(bench/cluster.sh 1000000)" "$(bench/cluster.sh 10000000)"
package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

const runs = 5

// exactSQL is the baseline: what a naive /status would run.
const exactSQL = `SELECT count(*),
  count(*) FILTER (WHERE updated_at >= now() - interval '1 day'),
  count(*) FILTER (WHERE updated_at <  now() - interval '1 day'  AND updated_at >= now() - interval '7 days'),
  count(*) FILTER (WHERE updated_at <  now() - interval '7 days' AND updated_at >= now() - interval '14 days'),
  count(*) FILTER (WHERE updated_at <  now() - interval '14 days' AND updated_at >= now() - interval '30 days'),
  count(*) FILTER (WHERE updated_at <  now() - interval '30 days'),
  min(updated_at), max(updated_at)
FROM whatsapp_keys`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: status DATABASE_URL...")
		os.Exit(2)
	}
	ctx := context.Background()
	fmt.Printf("%-28s %12s %12s %12s %8s  %s\n", "database", "keys", "/status p50", "exact p50", "speedup", "expired: status vs exact")
	for _, url := range os.Args[1:] {
		if err := bench(ctx, url); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

func bench(ctx context.Context, url string) error {
	db, err := store.Open(ctx, url)
	if err != nil {
		return err
	}
	defer db.Close()
	job := &jobs.Status{DB: db, Config: jobs.StatusConfig{
		Tables: []vocab.Ident{{Name: "whatsapp_auth"}, {Name: "whatsapp_keys"}}, KeysTable: vocab.Ident{Name: "whatsapp_keys"},
		KeysAgeColumn: "updated_at", RetentionDays: 30, LatencyThreshold: time.Second, PoolThreshold: 0.8, BackupDir: os.TempDir(),
	}}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)

	var statusTimes, exactTimes []time.Duration
	var report jobs.StatusReport
	var exactTotal, exactExpired int64
	// Interleaved, so cache state and background load hit both alike.
	for i := 0; i < runs; i++ {
		start := time.Now()
		report = job.Run(ctx)
		statusTimes = append(statusTimes, time.Since(start))
		if report.Keys.Error != "" {
			return fmt.Errorf("status: %s", report.Keys.Error)
		}
		start = time.Now()
		var b [4]int64
		var oldest, newest time.Time
		if err := conn.QueryRow(ctx, exactSQL).Scan(&exactTotal, &b[0], &b[1], &b[2], &b[3], &exactExpired, &oldest, &newest); err != nil {
			return err
		}
		exactTimes = append(exactTimes, time.Since(start))
	}
	s, e := median(statusTimes), median(exactTimes)
	fmt.Printf("%-28s %12s %12s %12s %7.0fx  %s vs %s (%+.1f%%)\n", db.Database(), humanize.Int(exactTotal),
		humanize.Duration(s), humanize.Duration(e), float64(e)/float64(s),
		humanize.Int(report.Keys.Expired), humanize.Int(exactExpired), 100*(float64(report.Keys.Expired)/float64(exactExpired)-1))
	return nil
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
