// Command offsite compares, in one run on the backup benchmark's 1 GB
// database, against an S3 API on loopback (gofakes3 over TLS, in this
// process): pgkeeper's backup local-only, with one remote, with one
// encrypted remote, and the naive way (a local backup, then a separate
// upload of its file); then pgkeeper's restore test from that remote
// against the same from the local file. Every pgkeeper run is the real
// binary, so its peak RSS holds nothing of the server's.
//
//	go build -o /tmp/pgkeeper . && go run ./bench/offsite /tmp/pgkeeper "$(bench/cluster.sh 2400000)"
//
// BENCH_ROUNDS (default 2) rounds of the backup contenders, interleaved, and
// as many of the restore pair. See README.md beside this file.
package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"filippo.io/age"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/pgkeeper/pgkeeper/bench/peakrss"
	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/remote"
)

const (
	bucket = "pgkeeper"
	keyID  = "AKIABENCH"
	secret = "bench-secret"
	region = "us-east-1"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: offsite PGKEEPER_BINARY DATABASE_URL")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// store is one S3 API server with its bucket, started per contender so
// that no run pays for another's objects in the server's memory.
type store struct {
	srv *httptest.Server
	ca  string
}

func startStore(work string) (*store, error) {
	mem := s3mem.New()
	if err := mem.CreateBucket(bucket); err != nil {
		return nil, err
	}
	srv := httptest.NewTLSServer(gofakes3.New(mem, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	ca := filepath.Join(work, "ca.pem")
	if err := os.WriteFile(ca, pemOf(srv), 0o600); err != nil {
		srv.Close()
		return nil, err
	}
	return &store{srv: srv, ca: ca}, nil
}

// env is the remote's settings, as an operator writes them.
func (s *store) env() []string {
	return []string{
		"BACKUP_REMOTES=bench=s3://" + bucket + "/pg",
		"BACKUP_REMOTE_BENCH_ENDPOINT=" + s.srv.URL,
		"BACKUP_REMOTE_BENCH_REGION=" + region,
		"BACKUP_REMOTE_BENCH_ACCESS_KEY_ID=" + keyID,
		"BACKUP_REMOTE_BENCH_SECRET_ACCESS_KEY=" + secret,
		"BACKUP_REMOTE_BENCH_CA_BUNDLE=" + s.ca,
	}
}

func (s *store) bucket(ctx context.Context) (*remote.Bucket, error) {
	return remote.New(ctx, remote.Config{Name: "bench", Bucket: bucket, Prefix: "naive", Endpoint: s.srv.URL,
		Region: region, AccessKeyID: keyID, SecretAccessKey: secret, CABundle: s.ca})
}

type sample struct {
	took time.Duration
	rss  int64
}

type bench struct {
	bin, url, work, pgBin string
	recipient, identity   string
	n                     int
}

func run(ctx context.Context, bin, url string) error {
	b := &bench{bin: bin, url: url, pgBin: os.Getenv("PG_BIN_DIR")}
	if b.pgBin == "" {
		p, err := exec.LookPath("pg_dump")
		if err != nil {
			return err
		}
		b.pgBin = filepath.Dir(p)
	}
	var err error
	if b.work, err = os.MkdirTemp("", "pgkeeper-bench-offsite-"); err != nil {
		return err
	}
	defer os.RemoveAll(b.work)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return err
	}
	b.recipient, b.identity = id.Recipient().String(), filepath.Join(b.work, "key.txt")
	if err := os.WriteFile(b.identity, []byte(id.String()+"\n"), 0o600); err != nil {
		return err
	}

	// A first backup warms the database's cache for every contender.
	if _, err := b.backup(ctx, "warm-up", nil); err != nil {
		return err
	}
	rounds := envInt("BENCH_ROUNDS", 2)
	names := []string{"local only", "+ one remote", "+ one encrypted remote", "naive: local, then upload"}
	got := map[string][]sample{}
	var plain, sealed *kept // the last round's stores, for the restores
	for round := 0; round < rounds; round++ {
		for i := range names {
			name := names[(i+round)%len(names)]
			s, k, err := b.contender(ctx, name)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			switch {
			case k != nil && name == "+ one remote":
				plain.close()
				plain = k
			case k != nil:
				sealed.close()
				sealed = k
			}
			got[name] = append(got[name], s)
			fmt.Fprintf(os.Stderr, "round %d  %-28s %8s  %s\n", round+1, name, humanize.Duration(s.took), humanize.Bytes(s.rss))
		}
	}
	defer plain.close()
	defer sealed.close()

	restores := []string{"restore test from local", "restore test from remote", "restore test from encrypted remote"}
	for round := 0; round < rounds; round++ {
		for i := range restores {
			name := restores[(i+round)%len(restores)]
			var s sample
			var err error
			switch name {
			case restores[0]:
				s, err = b.pgkeeper(ctx, plain.dir, plain.st.env(), "restore-test")
			case restores[1]:
				s, err = b.pgkeeper(ctx, plain.dir, plain.st.env(), "restore-test", "--from", "bench")
			default:
				s, err = b.pgkeeper(ctx, sealed.dir, sealed.st.env(), "restore-test", "--from", "bench", "--identity", b.identity)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			got[name] = append(got[name], s)
			fmt.Fprintf(os.Stderr, "round %d  %-34s %8s  %s\n", round+1, name, humanize.Duration(s.took), humanize.Bytes(s.rss))
		}
	}
	report(append(names, restores...), got)
	return nil
}

// kept is a contender's BACKUP_DIR and store, kept for the restores.
type kept struct {
	dir string
	st  *store
}

func (k *kept) close() {
	if k != nil {
		k.st.srv.Close()
		os.RemoveAll(k.dir)
	}
}

func (b *bench) contender(ctx context.Context, name string) (sample, *kept, error) {
	switch name {
	case "local only":
		s, err := b.backup(ctx, name, nil)
		return s, nil, err
	case "naive: local, then upload":
		st, err := startStore(b.work)
		if err != nil {
			return sample{}, nil, err
		}
		defer st.srv.Close()
		dir := b.nextDir()
		defer os.RemoveAll(dir)
		s, err := b.pgkeeper(ctx, dir, nil, "backup")
		if err != nil {
			return s, nil, err
		}
		up, err := upload(ctx, st, dir)
		s.took += up
		return s, nil, err
	}
	st, err := startStore(b.work)
	if err != nil {
		return sample{}, nil, err
	}
	env := st.env()
	if name == "+ one encrypted remote" {
		env = append(env, "BACKUP_AGE_RECIPIENTS="+b.recipient)
	}
	dir := b.nextDir()
	s, err := b.pgkeeper(ctx, dir, env, "backup")
	if err != nil {
		st.srv.Close()
		return s, nil, err
	}
	return s, &kept{dir: dir, st: st}, nil
}

// upload is the naive second step: the finished dump's file sent as it is,
// unchecked, with the same library and part size pgkeeper uses.
func upload(ctx context.Context, st *store, dir string) (time.Duration, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.dump.zst"))
	if err != nil || len(files) != 1 {
		return 0, fmt.Errorf("want one dump in %s, found %d (%v)", dir, len(files), err)
	}
	bk, err := st.bucket(ctx)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	f, err := os.Open(files[0])
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if _, err := bk.Put(ctx, filepath.Base(files[0]), f); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func (b *bench) backup(ctx context.Context, name string, env []string) (sample, error) {
	dir := b.nextDir()
	defer os.RemoveAll(dir)
	return b.pgkeeper(ctx, dir, env, "backup")
}

func (b *bench) nextDir() string {
	b.n++
	return filepath.Join(b.work, "backups-"+strconv.Itoa(b.n))
}

// pgkeeper runs the binary as the shell would and times it whole.
func (b *bench) pgkeeper(ctx context.Context, dir string, env []string, args ...string) (sample, error) {
	cmd := exec.CommandContext(ctx, b.bin, args...)
	cmd.Env = append(append(os.Environ(), "DATABASE_URL="+b.url, "BACKUP_DIR="+dir, "PG_BIN_DIR="+b.pgBin,
		"LOG_LEVEL=warn", "TELEGRAM_BOT_TOKEN=", "SENTRY_DSN="), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return sample{}, err
	}
	peak := peakrss.Watch(cmd.Process.Pid)
	err := cmd.Wait()
	s := sample{took: time.Since(start), rss: peak()}
	if err != nil {
		return s, fmt.Errorf("pgkeeper %v: %v\n%s", args, err, out.String())
	}
	return s, nil
}

func report(names []string, got map[string][]sample) {
	med := func(name string) time.Duration {
		ts := make([]time.Duration, 0, len(got[name]))
		for _, s := range got[name] {
			ts = append(ts, s.took)
		}
		slices.Sort(ts)
		return ts[len(ts)/2]
	}
	var peak int64
	fmt.Printf("\n%-36s %10s %10s %10s\n", "contender", "median", "runs", "peak RSS")
	for _, n := range names {
		var rss int64
		var runs string
		for _, s := range got[n] {
			rss = max(rss, s.rss)
			runs += humanize.Duration(s.took) + " "
		}
		peak = max(peak, rss)
		fmt.Printf("%-36s %10s   %s %10s\n", n, humanize.Duration(med(n)), runs, humanize.Bytes(rss))
	}
	ratio := func(a, b string) float64 { return float64(med(a)) / float64(med(b)) }
	fmt.Printf("\nbackup + one remote / local only:          %.2f (target ≤ 1.30)\n", ratio("+ one remote", "local only"))
	fmt.Printf("encrypted remote / plain remote:           %.2f (target ≤ 1.05)\n", ratio("+ one encrypted remote", "+ one remote"))
	fmt.Printf("naive (local, then upload) / local only:   %.2f\n", ratio("naive: local, then upload", "local only"))
	fmt.Printf("restore from remote / from local:          %.2f (target ≤ 1.15)\n", ratio("restore test from remote", "restore test from local"))
	fmt.Printf("restore from encrypted remote / from local: %.2f\n", ratio("restore test from encrypted remote", "restore test from local"))
	fmt.Printf("peak RSS of any pgkeeper run:              %s (target < 150 MB)\n", humanize.Bytes(peak))
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
