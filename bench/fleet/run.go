package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/pgkeeper/pgkeeper/bench/peakrss"
	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
)

// pgkeeper runs the binary as the shell would, configured for every database
// of the server but the excluded, and times it whole; out is its stdout and
// stderr together.
func (b *bench) pgkeeper(ctx context.Context, dir string, env []string, args ...string) (sample, string, error) {
	exclude, err := b.exclude(ctx)
	if err != nil {
		return sample{}, "", err
	}
	cmd := exec.CommandContext(ctx, b.bin, args...)
	cmd.Env = append(append(os.Environ(), "DATABASE_URL=",
		"DATABASE_SERVER_BENCH="+b.server, "DATABASE_SERVER_BENCH_EXCLUDE="+strings.Join(exclude, ","),
		"PGKEEPER_STATE_URL="+b.server, "BACKUP_DIR="+dir, "PG_BIN_DIR="+b.pgBin,
		"LOG_LEVEL=warn", "TELEGRAM_BOT_TOKEN=", "SENTRY_DSN="), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return sample{}, "", err
	}
	peak := peakrss.Watch(cmd.Process.Pid)
	err = cmd.Wait()
	s := sample{took: time.Since(start), rss: peak()}
	if err != nil {
		return s, out.String(), fmt.Errorf("pgkeeper %v: %w", args, err)
	}
	return s, out.String(), nil
}

// exclude is every database of the server but the benchmark's, listed
// before each run, as an operator's exclude list would be written.
func (b *bench) exclude(ctx context.Context) ([]string, error) {
	names, err := store.ServerDatabases(ctx, b.server)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		if !strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out, nil
}

// pgBack is pg_back's default pass: the globals once, then each database
// dumped in turn with pg_dump -Fc to its own file.
func (b *bench) pgBack(ctx context.Context) (sample, string, error) {
	dir := b.nextDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return sample{}, dir, err
	}
	env, err := store.ClientEnv(b.server, "")
	if err != nil {
		return sample{}, dir, err
	}
	script := `set -e; "$BIN/pg_dumpall" --globals-only -f "$OUT/pg_globals.sql"
for db in $DBS; do "$BIN/pg_dump" -Fc -f "$OUT/$db.dump" -d "$db"; done`
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Env = append(append(os.Environ(), env...), "BIN="+b.pgBin, "OUT="+dir, "DBS="+strings.Join(b.dbs, " "))
	start := time.Now()
	out, err := cmd.CombinedOutput()
	s := sample{took: time.Since(start)}
	if err != nil {
		return s, dir, fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
	}
	files, _ := os.ReadDir(dir)
	for _, f := range files {
		if st, err := f.Info(); err == nil {
			s.bytes += st.Size()
		}
	}
	return s, dir, nil
}

// backedUp checks that every database has exactly one verified backup in
// BACKUP_DIR/<name>/ and returns what they hold on disk.
func (b *bench) backedUp(dir string) (int64, error) {
	var total int64
	for _, db := range b.dbs {
		ms, err := filepath.Glob(filepath.Join(dir, db, "*.manifest.json"))
		if err != nil || len(ms) != 1 {
			return 0, fmt.Errorf("%s: want one manifest in %s, found %d (%v)", db, filepath.Join(dir, db), len(ms), err)
		}
		data, err := os.ReadFile(ms[0])
		if err != nil {
			return 0, err
		}
		var m jobs.Manifest
		if err := json.Unmarshal(data, &m); err != nil {
			return 0, fmt.Errorf("%s: %w", ms[0], err)
		}
		if m.Database != db || m.CompressedBytes == 0 {
			return 0, fmt.Errorf("%s: manifest of database %q, %d bytes", ms[0], m.Database, m.CompressedBytes)
		}
		total += m.CompressedBytes
	}
	return total, nil
}

func report(names []string, got map[string][]sample) {
	fmt.Printf("\n%-42s %10s   %-34s %10s %10s\n", "contender", "median", "runs", "on disk", "peak RSS")
	for _, n := range names {
		var rss, size int64
		var runs []string
		for _, s := range got[n] {
			rss, size = max(rss, s.rss), s.bytes
			runs = append(runs, humanize.Duration(s.took))
		}
		show := func(v int64) string {
			if v == 0 {
				return "–"
			}
			return humanize.Bytes(v)
		}
		fmt.Printf("%-42s %10s   %-34s %10s %10s\n", n, humanize.Duration(median(got[n])), strings.Join(runs, " / "), show(size), show(rss))
	}
	ratio := func(a, b string) float64 { return float64(median(got[a])) / float64(median(got[b])) }
	fmt.Printf("\n--all P=1 / pg_back-style:   %.2f\n", ratio(allP1, pgBack))
	fmt.Printf("--all P=2 / --all P=1:       %.2f\n", ratio(allP2, allP1))
	fmt.Printf("loop of --db / --all P=1:    %.2f\n", ratio(loop, allP1))
	fmt.Printf("status overview, median of 5: %s (target under 2 s)\n", humanize.Duration(median(got[status])))
}
