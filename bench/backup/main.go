// Command backup compares, in one run on the same database, pgkeeper's backup
// (end to end, verification included, as the shell runs it) with the
// operators' old pipeline (plain pg_dump | gzip) and raw pg_dump -Fc -Z0.
//
//	go build -o /tmp/pgkeeper . && go run ./bench/backup /tmp/pgkeeper "$(bench/cluster.sh 1400000)"
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
)

type result struct {
	name  string
	took  time.Duration
	bytes int64
	rss   int64 // peak RSS in bytes, when measured
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: backup PGKEEPER_BINARY DATABASE_URL")
		os.Exit(2)
	}
	bin, url := os.Args[1], os.Args[2]
	if err := run(context.Background(), bin, url); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, bin, url string) error {
	work, err := os.MkdirTemp("", "pgkeeper-bench-backup-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	env, err := store.ClientEnv(url, "")
	if err != nil {
		return err
	}
	pgBin := os.Getenv("PG_BIN_DIR")
	if pgBin == "" {
		p, err := exec.LookPath("pg_dump")
		if err != nil {
			return err
		}
		pgBin = filepath.Dir(p)
	}
	pgDump := filepath.Join(pgBin, "pg_dump")
	shellEnv := append(os.Environ(), env...)

	var results []result
	// Warm the cache once so no contender pays for a cold read alone.
	if _, err := timed(ctx, "warm-up", shellEnv, `"$PGDUMP" -Fc -Z0 > /dev/null`, pgDump); err != nil {
		return err
	}
	raw, err := timed(ctx, "raw pg_dump -Fc -Z0 > /dev/null", shellEnv, `"$PGDUMP" -Fc -Z0 > /dev/null`, pgDump)
	if err != nil {
		return err
	}
	gz := filepath.Join(work, "old.sql.gz")
	old, err := timed(ctx, "old: pg_dump | gzip", shellEnv, `"$PGDUMP" | gzip > "`+gz+`"`, pgDump)
	if err != nil {
		return err
	}
	old.bytes = size(gz)

	dir := filepath.Join(work, "backups")
	cmd := exec.CommandContext(ctx, bin, "backup")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url, "BACKUP_DIR="+dir, "PG_BIN_DIR="+pgBin, "LOG_LEVEL=warn")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	pk := result{name: "pgkeeper backup (verified)", took: time.Since(start)}
	if err != nil {
		return fmt.Errorf("pgkeeper backup: %v\n%s", err, out)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		pk.rss = ru.Maxrss * 1024
	}
	db, err := store.Open(ctx, url)
	if err != nil {
		return err
	}
	defer db.Close()
	l, err := jobs.Catalog{Dir: dir, DB: db}.List(ctx)
	list := l.Backups
	if err != nil || len(list) != 1 {
		return fmt.Errorf("no verified backup written: %v\n%s", err, out)
	}
	pk.bytes = list[0].CompressedBytes
	results = append(results, raw, old, pk)

	fmt.Printf("database %s: %s, dump %s raw\n\n", list[0].Database, humanize.Bytes(list[0].DatabaseBytes), humanize.Bytes(list[0].RawBytes))
	fmt.Printf("%-32s %10s %12s %10s\n", "contender", "time", "size", "peak RSS")
	for _, r := range results {
		sz, rss := "–", "–"
		if r.bytes > 0 {
			sz = humanize.Bytes(r.bytes)
		}
		if r.rss > 0 {
			rss = humanize.Bytes(r.rss)
		}
		fmt.Printf("%-32s %10s %12s %10s\n", r.name, humanize.Duration(r.took), sz, rss)
	}
	fmt.Printf("\npgkeeper / old pipeline time: %.3f (target ≤ 0.25)\n", float64(pk.took)/float64(old.took))
	fmt.Printf("pgkeeper / raw pg_dump time:  %.3f (target ≤ 1.6)\n", float64(pk.took)/float64(raw.took))
	fmt.Printf("pgkeeper / gzip size:         %.3f (target ≤ 1.0)\n", float64(pk.bytes)/float64(old.bytes))
	fmt.Printf("pgkeeper peak RSS:            %s (target < 100 MB)\n", humanize.Bytes(pk.rss))
	return nil
}

// timed runs a baseline pipeline through bash (the operators' way) and times it.
func timed(ctx context.Context, name string, env []string, script, pgDump string) (result, error) {
	cmd := exec.CommandContext(ctx, "bash", "-c", "set -o pipefail; "+script)
	cmd.Env = append(env, "PGDUMP="+pgDump)
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return result{}, fmt.Errorf("%s: %v: %s", name, err, strings.TrimSpace(string(out)))
	}
	return result{name: name, took: time.Since(start)}, nil
}

func size(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}
