// Command cleanup measures what deleting expired keys costs the live
// service: pgkeeper's cleanup (short batches walking the primary key) against
// the operators' old single DELETE, each on its own fresh copy of a seeded
// database, while a writer upserts keys at a steady rate as the WhatsApp
// service does. It reports each one's duration and the writer's latency idle
// and during it, and the lock waits it saw.
//
//	go run ./bench/cleanup "$(bench/cluster.sh 3000000)"
//
// The database given is only read (as a template): its copies are dropped
// at the end. Settings, from the environment:
//
//	BENCH_RATE        writes per second (default 200)
//	BENCH_WRITERS     writer connections (default 4)
//	BENCH_IDLE        seconds of idle baseline before each contender (default 20)
//	BENCH_BATCH       pgkeeper's CLEANUP_BATCH_SIZE (default 5000, the old default, for comparison)
//	BENCH_VACUUM      on or off: pgkeeper's VACUUM (ANALYZE) afterwards (default on)
//	BENCH_UNDO        1: undo pgkeeper's cleanup afterwards, timed (outside the figures)
//	BENCH_CONTENDERS  which to run, in order (default pgkeeper,old)
//	BENCH_PG_LOG      the server's log file: count its "still waiting" lines (log_lock_waits)
//	BENCH_KEEP        1 keeps the copies
package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

type settings struct {
	rate     float64
	writers  int
	idle     time.Duration
	batch    int
	vacuum   bool
	undo     bool
	pgLog    string
	keep     bool
	contends []string
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: cleanup DATABASE_URL   (a seeded Baileys database, used as a template)")
		os.Exit(2)
	}
	s := settings{
		rate: float64(envInt("BENCH_RATE", 200)), writers: envInt("BENCH_WRITERS", 4),
		idle: time.Duration(envInt("BENCH_IDLE", 20)) * time.Second, batch: envInt("BENCH_BATCH", 5000),
		vacuum: os.Getenv("BENCH_VACUUM") != "off", undo: os.Getenv("BENCH_UNDO") == "1", pgLog: os.Getenv("BENCH_PG_LOG"), keep: os.Getenv("BENCH_KEEP") == "1",
		contends: strings.Split(cmp.Or(os.Getenv("BENCH_CONTENDERS"), "pgkeeper,old"), ","),
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var results []result
	for _, name := range s.contends {
		r, err := runContender(ctx, os.Args[1], name, s)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			os.Exit(1)
		}
		results = append(results, r)
	}
	printResults(s, results)
}

// result is one contender's figures.
type result struct {
	name               string
	rows, deleted      int64
	duration           time.Duration
	phases             string // pgkeeper: count / delete / vacuum
	walStart, walEnd   string
	walBytes           int64
	idle, during, walk latency
	lockLongest        map[string]time.Duration
	lockOver           map[string]int
	logWaits           int
	note               string
	end                time.Time // when the deletion ended (before an undo)
}

func runContender(ctx context.Context, src, name string, s settings) (result, error) {
	r := result{name: name}
	url, drop, err := cloneDB(ctx, src, "bench_cleanup_"+name, s.keep)
	if err != nil {
		return r, err
	}
	defer drop()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return r, err
	}
	defer conn.Close(context.Background())
	// Both start from the same state: hint bits set, visibility map full,
	// statistics fresh, nothing dirty.
	for _, q := range []string{"VACUUM (ANALYZE) whatsapp_keys", "CHECKPOINT"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return r, fmt.Errorf("%s: %w", q, err)
		}
	}
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM whatsapp_keys").Scan(&r.rows); err != nil {
		return r, err
	}
	keys, err := sampleKeys(ctx, conn)
	if err != nil {
		return r, err
	}
	w, err := startWriter(ctx, url, keys, s.rate, s.writers)
	if err != nil {
		return r, err
	}
	defer w.stop()
	ls, err := startLockSampler(ctx, url)
	if err != nil {
		return r, err
	}
	defer ls.stop()
	logFrom := logSize(s.pgLog)

	fmt.Fprintf(os.Stderr, "%s: %d rows, %d keys sampled; %s idle at %.0f writes/s\n", name, r.rows, len(keys), s.idle, s.rate)
	t0 := time.Now()
	sleep(ctx, s.idle)
	t1 := time.Now()
	_ = conn.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&r.walStart)
	walkFrom, walkTo := t1, t1
	ended := func() {
		r.end = time.Now()
		_ = conn.QueryRow(ctx, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint", r.walStart).Scan(&r.walBytes)
	}
	switch name {
	case "pgkeeper":
		walkFrom, walkTo, err = runPgkeeper(ctx, url, s, &r, ended)
	case "old":
		err = runOld(ctx, url, &r)
		walkTo = time.Now()
		ended()
	default:
		err = fmt.Errorf("unknown contender %q (pgkeeper, old)", name)
	}
	if err != nil {
		return r, err
	}
	t2 := r.end
	r.duration = t2.Sub(t1)
	sleep(ctx, 3*time.Second) // writes due during the run finish
	r.idle, r.during, r.walk = w.stats(t0, t1), w.stats(t1, t2), w.stats(walkFrom, walkTo)
	r.lockLongest, r.lockOver = ls.stats(t1, t2)
	r.logWaits = countLogWaits(s.pgLog, logFrom)
	return r, nil
}

// runOld is the operators' old job: one DELETE in one transaction.
func runOld(ctx context.Context, url string, r *result) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return err
	}
	cfg.RuntimeParams["application_name"] = "bench-old-delete"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	tag, err := conn.Exec(ctx, "DELETE FROM whatsapp_keys WHERE updated_at < NOW() - INTERVAL '30 days'")
	if err != nil {
		return err
	}
	r.deleted = tag.RowsAffected()
	r.note = "also deletes protected keys and current pre-keys; no undo; no vacuum"
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func printResults(s settings, results []result) {
	fmt.Printf("writer: %.0f upserts/s on %d connections (80%% existing keys, 20%% new pre-keys); batch %d; vacuum %v\n\n",
		s.rate, s.writers, s.batch, s.vacuum)
	fmt.Printf("%-9s %10s %10s %10s  %-34s %8s  %-22s %-22s %-22s %s\n", "contender", "rows", "deleted", "duration",
		"phases", "WAL", "writer idle p50/p99", "during p50/p99", "during max / >100ms", "longest lock wait (>100 ms)")
	for _, r := range results {
		var locks []string
		for app, d := range r.lockLongest {
			locks = append(locks, fmt.Sprintf("%s %s (%d)", app, ms(d), r.lockOver[app]))
		}
		if len(locks) == 0 {
			locks = append(locks, "none seen")
		}
		if s.pgLog != "" {
			locks = append(locks, fmt.Sprintf("log_lock_waits: %d", r.logWaits))
		}
		fmt.Printf("%-9s %10d %10d %9.2fs  %-34s %5d MB  %-22s %-22s %-22s %s\n", r.name, r.rows, r.deleted, r.duration.Seconds(),
			r.phases, r.walBytes>>20, ms(r.idle.p50)+" / "+ms(r.idle.p99), ms(r.during.p50)+" / "+ms(r.during.p99),
			fmt.Sprintf("%s / %d", ms(r.during.max), r.during.over100ms), strings.Join(locks, ", "))
		if r.walk.n > 0 && r.name == "pgkeeper" {
			fmt.Printf("%-9s while deleting only: p50 %s, p99 %s, max %s, %d writes, %.0f/s achieved\n", "", ms(r.walk.p50), ms(r.walk.p99), ms(r.walk.max), r.walk.n, r.walk.achievedPerSec)
		}
		if r.during.errs > 0 || r.idle.errs > 0 {
			fmt.Printf("%-9s writer errors: idle %d, during %d\n", "", r.idle.errs, r.during.errs)
		}
		if r.note != "" {
			fmt.Printf("%-9s %s\n", "", r.note)
		}
	}
}
