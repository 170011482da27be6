package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pgkeeper/pgkeeper/internal/scratchpg"
)

var (
	serverBins = scratchpg.Bins
	clientBins = scratchpg.ClientBins
)

// server is the shared PostgreSQL server of this test binary.
type server struct {
	adminURL string
	binDir   string             // client binaries
	binErr   error              // why binDir is unusable
	cluster  *scratchpg.Cluster // nil for TEST_DATABASE_URL
}

var (
	mu      sync.Mutex
	once    sync.Once
	srv     *server
	srvErr  error
	stopped bool
)

// get returns the shared server, starting it on first use; it skips or fails
// tb if there is none.
func get(tb testing.TB) *server {
	tb.Helper()
	once.Do(func() {
		s, err := start()
		mu.Lock()
		defer mu.Unlock()
		if stopped && s != nil {
			s.stop()
			s, err = nil, errors.New("pgtest: Main already shut the server down")
		}
		srv, srvErr = s, err
	})
	if srvErr != nil {
		unavailable(tb, srvErr)
	}
	return srv
}

// shutdown stops the throwaway cluster, if one was started; used by Main.
func shutdown() {
	mu.Lock()
	defer mu.Unlock()
	stopped = true
	if srv != nil {
		srv.stop()
	}
}

func start() (*server, error) {
	if env := os.Getenv("TEST_DATABASE_URL"); env != "" {
		return external(env)
	}
	dir, err := findBinDir("", serverBins)
	if err != nil {
		return nil, err
	}
	s, err := startCluster(dir)
	if err != nil {
		return nil, err
	}
	s.binDir, s.binErr = findBinDir(dir, clientBins)
	return s, nil
}

func external(adminURL string) (*server, error) {
	u, err := url.Parse(adminURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, errors.New("pgtest: TEST_DATABASE_URL must be a postgres:// URL")
	}
	if err := execSQL(adminURL, "SELECT 1"); err != nil {
		return nil, fmt.Errorf("pgtest: TEST_DATABASE_URL: %w", err)
	}
	s := &server{adminURL: adminURL}
	s.binDir, s.binErr = findBinDir("", clientBins)
	return s, nil
}

// findBinDir returns the first directory holding all of need, trying
// $PGTEST_BINDIR, prefer, PATH, then the newest /usr/lib/postgresql/<major>/bin.
func findBinDir(prefer string, need []string) (string, error) {
	d, err := scratchpg.FindBinDir(need, os.Getenv("PGTEST_BINDIR"), prefer)
	if err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	return d, nil
}

// startCluster starts the throwaway cluster (see scratchpg: as the postgres
// OS user when we are root, stopped when the test binary dies).
func startCluster(binDir string) (*server, error) {
	c, err := scratchpg.Start(binDir, scratchpg.Options{User: TestUser, Password: TestPassword, Prefix: "pgtest-"})
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	s := &server{adminURL: c.URL, cluster: c}
	if err := s.ping(); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// stop stops the cluster and removes its directory, and waits for it.
func (s *server) stop() {
	if s.cluster != nil {
		s.cluster.Stop()
	}
}

func (s *server) ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.adminURL)
	if err != nil {
		return fmt.Errorf("pgtest: connect to fresh cluster: %w", err)
	}
	return c.Close(ctx)
}
