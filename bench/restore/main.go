// Command restore compares the RTO of pgkeeper's restore test (restore plus
// verification, as RestoreTest.Run measures it) with raw pg_restore of the
// same dump at each -j, pg_restore fed by `zstd -dc`, and the operators' old
// way, `gunzip -c dump.sql.gz | psql`, on one database, in interleaved rounds.
//
//	go run ./bench/restore "$(bench/cluster.sh 2400000)"
//
// See README.md beside this file. Settings, from the environment:
//
//	BENCH_ROUNDS      rounds of every contender, interleaved (default 3)
//	BENCH_JOBS        raw pg_restore -j values to try (default 1,2,3)
//	BENCH_CONTENDERS  which to run (default pgkeeper,pgkeeper-j2,raw,zstd,gunzip-psql)
//	BENCH_WORK        where the dumps are written (default: a new directory under $TMPDIR)
//	PG_BIN_DIR        pg_dump, pg_restore, psql (default: found on PATH)
package main

import (
	"context"
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
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: restore DATABASE_URL   (a seeded Baileys database; only read)")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// bench holds what every contender shares.
type bench struct {
	url, pgBin, work string
	env              []string // libpq environment of the database's server
	srv              *store.Server
	live             string // the seeded database
	target           string // where raw contenders restore
	backups          string // pgkeeper's BACKUP_DIR
	m                jobs.Manifest
	steps            map[string][]time.Duration // pgkeeper's steps, by "contender/step"
	raw, sqlgz       string                     // the decompressed dump; the plain SQL dump, gzipped
}

func run(ctx context.Context, url string) error {
	b := &bench{url: url, pgBin: os.Getenv("PG_BIN_DIR"), steps: map[string][]time.Duration{}}
	if b.pgBin == "" {
		p, err := exec.LookPath("pg_restore")
		if err != nil {
			return err
		}
		b.pgBin = filepath.Dir(p)
	}
	var err error
	if b.work = os.Getenv("BENCH_WORK"); b.work == "" {
		if b.work, err = os.MkdirTemp("", "pgkeeper-bench-restore-"); err != nil {
			return err
		}
		defer os.RemoveAll(b.work)
	}
	if b.env, err = store.ClientEnv(url, ""); err != nil {
		return err
	}
	if b.srv, err = store.OpenServer(url, "postgres"); err != nil {
		return err
	}
	db, err := store.Open(ctx, url)
	if err != nil {
		return err
	}
	defer db.Close()
	b.live = db.Database()
	b.target = b.live + "_bench_restore"
	defer b.srv.DropDatabase(context.WithoutCancel(ctx), b.target)
	if err := b.prepare(ctx, db); err != nil {
		return err
	}

	rounds := envInt("BENCH_ROUNDS", 3)
	all := b.contenders(db)
	results := map[string][]time.Duration{}
	totals := map[string][]time.Duration{}
	for round := 1; round <= rounds; round++ {
		// Each round starts one contender later, so that no contender always
		// runs first (after the previous round's drop) or last.
		for i := range all {
			c := all[(i+round-1)%len(all)]
			b.checkpoint(ctx)
			rto, total, err := c.run(ctx)
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			results[c.name] = append(results[c.name], rto)
			totals[c.name] = append(totals[c.name], total)
			fmt.Fprintf(os.Stderr, "round %d  %-34s %8s  (load %s)\n", round, c.name, humanize.Duration(rto), loadAvg())
		}
	}
	report(b, all, results, totals)
	return nil
}

// prepare makes the dumps once: pgkeeper's backup (the file every pg_restore
// contender reads), its decompressed copy, and the old plain SQL dump, gzipped.
func (b *bench) prepare(ctx context.Context, db *store.DB) error {
	b.backups = filepath.Join(b.work, "backups")
	fmt.Fprintln(os.Stderr, "making pgkeeper's backup of", b.live)
	bk := &jobs.Backup{DB: db, Config: jobs.BackupConfig{DatabaseURL: b.url, Dir: b.backups, PGBinDir: b.pgBin,
		Retention: jobs.Retention{KeepDaily: 1, KeepMonthly: 1}, FingerprintTables: []vocab.Ident{{Name: "whatsapp_auth"}}}}
	r, err := bk.Run(ctx, jobs.BackupOptions{Trigger: "bench"}, nil)
	if err != nil {
		return err
	}
	b.m = r.Manifest
	b.raw = filepath.Join(b.work, "raw.dump")
	if err := b.shell(ctx, `zstd -dcq "$1" > "$2"`, filepath.Join(b.backups, b.m.DumpFile()), b.raw); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "making the old plain dump, gzipped (pg_dump | gzip)")
	b.sqlgz = filepath.Join(b.work, "dump.sql.gz")
	if err := b.shell(ctx, `"$1/pg_dump" | gzip > "$2"`, b.pgBin, b.sqlgz); err != nil {
		return err
	}
	// The dumps just written (about 1.5x the database) would otherwise be
	// flushed by the kernel during the first round, on its bill.
	syscall.Sync()
	return nil
}

// contender is one way to restore; run returns its RTO and its wall time.
type contender struct {
	name string
	run  func(context.Context) (rto, total time.Duration, err error)
}

func (b *bench) contenders(db *store.DB) []contender {
	want := strings.Split(envStr("BENCH_CONTENDERS", "pgkeeper,pgkeeper-j2,raw,zstd,gunzip-psql"), ",")
	var out []contender
	for _, w := range want {
		switch w {
		case "pgkeeper":
			out = append(out, contender{"pgkeeper restore test", b.pgkeeper(db, "pgkeeper restore test", 0)})
		case "pgkeeper-j2":
			name := "pgkeeper restore test, -j2 via file"
			out = append(out, contender{name, b.pgkeeper(db, name, 2)})
		case "raw":
			for _, j := range strings.Split(envStr("BENCH_JOBS", "1,2,3"), ",") {
				out = append(out, contender{"raw pg_restore -j" + j + " (file)",
					b.restore(`"$1/pg_restore" --no-owner --no-privileges --exit-on-error -j "$2" -d "$3" "$4"`, b.pgBin, j, b.target, b.raw)})
			}
		case "zstd":
			out = append(out, contender{"zstd -dc | pg_restore",
				b.restore(`zstd -dcq "$4" | "$1/pg_restore" --no-owner --no-privileges --exit-on-error -d "$3"`,
					b.pgBin, "", b.target, filepath.Join(b.backups, b.m.DumpFile()))})
		case "gunzip-psql":
			out = append(out, contender{"old: gunzip -c | psql",
				b.restore(`gunzip -c "$4" | "$1/psql" -X -q -v ON_ERROR_STOP=1 -d "$3" > /dev/null`, b.pgBin, "", b.target, b.sqlgz)})
		}
	}
	return out
}

// pgkeeper runs the restore test in-process: the code the chat and the shell
// call. Its RTO is the report's; total is the whole run (lock, preflight,
// create, drop and manifest update included).
func (b *bench) pgkeeper(db *store.DB, name string, n int) func(context.Context) (time.Duration, time.Duration, error) {
	return func(ctx context.Context) (time.Duration, time.Duration, error) {
		rt := &jobs.RestoreTest{DB: db, Config: jobs.RestoreConfig{DatabaseURL: b.url, BackupDir: b.backups, PGBinDir: b.pgBin, Jobs: n}}
		start := time.Now()
		r, err := rt.Run(ctx, jobs.RestoreOptions{Trigger: "bench"}, nil)
		if err != nil {
			return 0, 0, err
		}
		for _, st := range r.Steps {
			b.steps[name+"/"+st.Name] = append(b.steps[name+"/"+st.Name], st.Took)
		}
		return r.RTO, time.Since(start), nil
	}
}

// restore times a shell pipeline into a fresh target database.
func (b *bench) restore(script string, args ...string) func(context.Context) (time.Duration, time.Duration, error) {
	return func(ctx context.Context) (time.Duration, time.Duration, error) {
		if err := b.srv.DropDatabase(ctx, b.target); err != nil {
			return 0, 0, err
		}
		if err := b.srv.CreateDatabase(ctx, b.target, store.Locale{}); err != nil {
			return 0, 0, err
		}
		start := time.Now()
		err := b.shell(ctx, script, args...)
		took := time.Since(start)
		// Dropped at once, off the clock, as pgkeeper drops its scratch
		// database: left standing, the freshly loaded table is vacuumed by
		// autovacuum during the next contender's run, on its bill.
		if derr := b.srv.DropDatabase(ctx, b.target); err == nil {
			err = derr
		}
		return took, took, err
	}
}

func (b *bench) shell(ctx context.Context, script string, args ...string) error {
	cmd := exec.CommandContext(ctx, "bash", append([]string{"-c", "set -o pipefail; " + script, "bench"}, args...)...)
	cmd.Env = append(os.Environ(), b.env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// checkpoint flushes the previous contender's writes so the next does not pay
// for them (needs superuser or pg_checkpoint; skipped otherwise).
func (b *bench) checkpoint(ctx context.Context) {
	_ = b.shell(ctx, `"$1/psql" -X -q -d postgres -c CHECKPOINT 2>/dev/null || true`, b.pgBin)
}

func report(b *bench, all []contender, results, totals map[string][]time.Duration) {
	fastest := time.Duration(0)
	for _, c := range all {
		if strings.HasPrefix(c.name, "pgkeeper") {
			continue
		}
		if m := median(results[c.name]); fastest == 0 || m < fastest {
			fastest = m
		}
	}
	fmt.Printf("database %s: %s, dump %s raw, backup %s, %s rows\n\n", b.m.Database, humanize.Bytes(b.m.DatabaseBytes),
		humanize.Bytes(b.m.RawBytes), humanize.Bytes(b.m.CompressedBytes), humanize.Int(b.m.TotalRows()))
	fmt.Printf("%-36s %10s %10s %10s %14s\n", "contender", "median", "min", "max", "vs fastest raw")
	for _, c := range all {
		ds := results[c.name]
		fmt.Printf("%-36s %10s %10s %10s %13.3fx\n", c.name, humanize.Duration(median(ds)), humanize.Duration(slices.Min(ds)),
			humanize.Duration(slices.Max(ds)), float64(median(ds))/float64(fastest))
		if strings.HasPrefix(c.name, "pgkeeper") {
			var parts []string
			for _, st := range []string{"preflight", "create", "restore", "verify", "drop"} {
				if ds := b.steps[c.name+"/"+st]; len(ds) > 0 {
					parts = append(parts, st+" "+humanize.Duration(median(ds)))
				}
			}
			fmt.Printf("  %-34s %10s  (%s)\n", "whole run, lock to drop", humanize.Duration(median(totals[c.name])), strings.Join(parts, ", "))
		}
	}
	fmt.Printf("\ntarget: pgkeeper's RTO at most 1.15x the fastest raw restore (%s)\n", humanize.Duration(fastest*115/100))
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func envStr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func loadAvg() string {
	data, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
