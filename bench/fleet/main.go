// Command fleet compares, in one run on the twenty databases bench/fleet/seed.sh
// makes on the benchmark cluster (bench_fleet_01..20, 54.5 MB each),
// backing them all up four ways: `pgkeeper backup --all` at BACKUP_PARALLEL=1
// and 2, a loop of single `pgkeeper backup --db NAME` runs, and pg_back's way
// (pg_dumpall --globals-only, then pg_dump -Fc of each database in turn to a
// file). Then it times the status overview, `pgkeeper status`, across them.
//
//	go build -o /tmp/pgkeeper . && go run ./bench/fleet /tmp/pgkeeper "$(bench/fleet/seed.sh)"
//
// pgkeeper finds the databases as the README's "Several databases" has it
// for every database of a server: DATABASE_SERVER_BENCH, with the cluster's
// other databases in DATABASE_SERVER_BENCH_EXCLUDE. BENCH_ROUNDS (default 3)
// interleaved rounds; medians. See README.md beside this file.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/store"
)

// prefix names the benchmark's databases; every other database of the
// cluster is excluded from discovery.
const prefix = "bench_fleet_"

const (
	allP1   = "pgkeeper backup --all, BACKUP_PARALLEL=1"
	allP2   = "pgkeeper backup --all, BACKUP_PARALLEL=2"
	loop    = "loop of pgkeeper backup --db NAME"
	pgBack  = "pg_back-style: pg_dump -Fc each in turn"
	status  = "pgkeeper status (overview of all)"
	status1 = "pgkeeper status --db " + prefix + "01"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: fleet PGKEEPER_BINARY SERVER_URL   (SERVER_URL: bench/fleet/seed.sh prints it)")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type sample struct {
	took  time.Duration
	rss   int64 // peak RSS of the pgkeeper process (of the largest, for the loop)
	bytes int64 // what the run left on disk
}

type bench struct {
	bin, server, pgBin, work string
	dbs                      []string
	n                        int
	shown                    bool // one --all run's output was shown
}

func run(ctx context.Context, bin, server string) error {
	b := &bench{bin: bin, server: server, pgBin: os.Getenv("PG_BIN_DIR")}
	if b.pgBin == "" {
		p, err := exec.LookPath("pg_dump")
		if err != nil {
			return err
		}
		b.pgBin = filepath.Dir(p)
	}
	names, err := store.ServerDatabases(ctx, server)
	if err != nil {
		return err
	}
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			b.dbs = append(b.dbs, n)
		}
	}
	if len(b.dbs) == 0 {
		return fmt.Errorf("no %s* database on the server: run bench/fleet/seed.sh first", prefix)
	}
	if b.work, err = os.MkdirTemp("", "pgkeeper-bench-fleet-"); err != nil {
		return err
	}
	defer os.RemoveAll(b.work)
	fmt.Printf("%d databases (%s..%s), load average at start: %s\n", len(b.dbs), b.dbs[0], b.dbs[len(b.dbs)-1], loadavg())

	// One untimed pass warms every database's cache for every contender.
	_, dir, err := b.pgBack(ctx)
	os.RemoveAll(dir)
	if err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	rounds := envInt("BENCH_ROUNDS", 3)
	contenders := []string{allP1, allP2, loop, pgBack}
	got := map[string][]sample{}
	var kept string // the last --all run's BACKUP_DIR, for the status runs
	defer func() { os.RemoveAll(kept) }()
	for round := range rounds {
		for i := range contenders {
			name := contenders[(i+round)%len(contenders)]
			s, dir, err := b.contender(ctx, name)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if name == allP2 {
				os.RemoveAll(kept)
				kept, dir = dir, ""
			}
			os.RemoveAll(dir)
			got[name] = append(got[name], s)
			fmt.Fprintf(os.Stderr, "round %d  %-42s %8s  %s\n", round+1, name, humanize.Duration(s.took), humanize.Bytes(s.rss))
		}
	}

	// The overview reads each database's newest backup: kept has one each.
	for i := range 5 {
		for _, name := range []string{status, status1} {
			args := []string{"status"}
			if name == status1 {
				args = append(args, "--db", prefix+"01")
			}
			s, out, err := b.pgkeeper(ctx, kept, nil, args...)
			if err != nil && !isLevel(err) {
				return fmt.Errorf("%s: %w\n%s", name, err, out)
			}
			if name == status {
				if n := strings.Count(out, prefix); n != len(b.dbs) {
					return fmt.Errorf("%s: %d lines name a database, want %d:\n%s", name, n, len(b.dbs), out)
				}
				if i == 0 {
					fmt.Fprintf(os.Stderr, "first overview:\n%s\n", out)
				}
			}
			got[name] = append(got[name], s)
		}
	}
	report(append(contenders, status, status1), got)
	fmt.Printf("load average at the end: %s\n", loadavg())
	return nil
}

func (b *bench) contender(ctx context.Context, name string) (sample, string, error) {
	switch name {
	case allP1, allP2:
		dir := b.nextDir()
		s, out, err := b.pgkeeper(ctx, dir, []string{"BACKUP_PARALLEL=" + name[len(name)-1:]}, "backup", "--all")
		if err != nil {
			return s, dir, fmt.Errorf("%w\n%s", err, out)
		}
		if !b.shown {
			b.shown = true
			fmt.Fprintf(os.Stderr, "first %s:\n%s\n", name, out)
		}
		s.bytes, err = b.backedUp(dir)
		return s, dir, err
	case loop:
		dir := b.nextDir()
		var all sample
		for _, db := range b.dbs {
			s, out, err := b.pgkeeper(ctx, dir, nil, "backup", "--db", db)
			if err != nil {
				return all, dir, fmt.Errorf("%s: %w\n%s", db, err, out)
			}
			all.took += s.took
			all.rss = max(all.rss, s.rss)
		}
		var err error
		all.bytes, err = b.backedUp(dir)
		return all, dir, err
	default:
		return b.pgBack(ctx)
	}
}

// isLevel is status's exit 1 or 2: a warning or critical level, an answer.
func isLevel(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && (ee.ExitCode() == 1 || ee.ExitCode() == 2)
}

func (b *bench) nextDir() string {
	b.n++
	return filepath.Join(b.work, "backups-"+strconv.Itoa(b.n))
}

func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	return strings.Join(f[:min(3, len(f))], " ")
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func median(ss []sample) time.Duration {
	ts := make([]time.Duration, 0, len(ss))
	for _, s := range ss {
		ts = append(ts, s.took)
	}
	slices.Sort(ts)
	return ts[len(ts)/2]
}
