package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
)

// runPgkeeper runs a confirmed pgkeeper cleanup, as `pgkeeper cleanup --yes`
// would, calls ended as soon as it is over (before any undo), and returns
// when its batches started and ended.
func runPgkeeper(ctx context.Context, dbURL string, s settings, r *result, ended func()) (walkFrom, walkTo time.Time, err error) {
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return walkFrom, walkTo, err
	}
	defer db.Close()
	undo, err := os.MkdirTemp("", "bench-cleanup-undo-")
	if err != nil {
		return walkFrom, walkTo, err
	}
	defer os.RemoveAll(undo)
	cfg := jobs.DefaultCleanupConfig(undo)
	cfg.BatchSize, cfg.Vacuum = s.batch, s.vacuum
	job := &jobs.Cleanup{DB: db, Config: cfg}
	// BENCH_CPUPROFILE: where pgkeeper's own CPU goes during the run.
	if path := os.Getenv("BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return walkFrom, walkTo, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return walkFrom, walkTo, err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	rep, err := job.Run(ctx, jobs.CleanupOptions{Confirmed: true, Trigger: "bench"}, func(p jobs.CleanupProgress) {
		fmt.Fprintf(os.Stderr, "\r  %-8s %9d / %d deleted, %6.0f rows/s, %s   ", p.Phase, p.Deleted, p.Expected, p.Rate, p.Elapsed.Round(time.Second))
	})
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return walkFrom, walkTo, err
	}
	ended()
	// The batches ran after the count and before the vacuum.
	walkFrom = start.Add(rep.Preview.Took)
	walkTo = walkFrom.Add(rep.DeleteTime)
	r.deleted = rep.Deleted
	r.phases = fmt.Sprintf("%.1f + %.1f + %.1f s", rep.Preview.Took.Seconds(), rep.DeleteTime.Seconds(), rep.Vacuum.Duration.Seconds())
	var undoBytes int64
	if st, err := os.Stat(rep.UndoFile); err == nil {
		undoBytes = st.Size()
	}
	r.note = fmt.Sprintf("count + delete + vacuum; %d batches, %d busy retries, %.0f rows/s; kept %d protected, %d current pre-keys; undo file %s; dead tuples %d -> %d; table %s -> %s",
		rep.Batches, rep.BusyRetries, rep.Rate, rep.Preview.Counts.KeptProtected, rep.Preview.Counts.KeptCurrentPreKey,
		humanize.Bytes(undoBytes), rep.Vacuum.DeadBefore, rep.Vacuum.DeadAfter, humanize.Bytes(rep.Before.TotalBytes), humanize.Bytes(rep.After.TotalBytes))
	if s.undo {
		u, err := job.Undo(ctx, rep.Run)
		if err != nil {
			return walkFrom, walkTo, fmt.Errorf("undo: %w", err)
		}
		r.note += fmt.Sprintf("\n%-9s undo: %d restored, %d skipped (written again meanwhile) in %.1f s", "", u.Restored, u.Skipped, u.Duration.Seconds())
	}
	return walkFrom, walkTo, nil
}

// cloneDB copies the seeded database (FILE_COPY: a plain file copy, not a
// stream of WAL) and returns the copy's URL and how to drop it.
func cloneDB(ctx context.Context, src, name string, keep bool) (string, func(), error) {
	u, err := url.Parse(src)
	if err != nil {
		return "", nil, err
	}
	template := strings.TrimPrefix(u.Path, "/")
	admin := *u
	admin.Path = "/postgres"
	conn, err := pgx.Connect(ctx, admin.String())
	if err != nil {
		return "", nil, err
	}
	quoted := pgx.Identifier{name}.Sanitize()
	drop := func() {
		if !keep {
			_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+quoted+" WITH (FORCE)")
		}
		conn.Close(context.Background())
	}
	start := time.Now()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+quoted+" WITH (FORCE)"); err != nil {
		drop()
		return "", nil, err
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s STRATEGY FILE_COPY", quoted, pgx.Identifier{template}.Sanitize())); err != nil {
		drop()
		return "", nil, fmt.Errorf("copy %s: %w", template, err)
	}
	fmt.Fprintf(os.Stderr, "copied %s to %s in %s\n", template, name, time.Since(start).Round(time.Second))
	clone := *u
	clone.Path = "/" + name
	return clone.String(), drop, nil
}

// logSize is where the server log ends now (0 without a log).
func logSize(path string) int64 {
	if path == "" {
		return 0
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// countLogWaits counts log_lock_waits' "still waiting for" lines written to
// the server log since offset from: waits longer than deadlock_timeout.
func countLogWaits(path string, from int64) int {
	if path == "" {
		return 0
	}
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return 0
	}
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "still waiting for") {
			n++
		}
	}
	return n
}
