package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

var (
	serverBins = []string{"initdb", "pg_ctl", "postgres"}
	clientBins = []string{"psql", "pg_dump", "pg_restore"}
)

// server is the shared PostgreSQL server of this test binary.
type server struct {
	adminURL string
	binDir   string // client binaries
	binErr   error  // why binDir is unusable
	base     string // throwaway cluster's directory ("" for TEST_DATABASE_URL)

	// The watchdog (see startWatchdog) stops the cluster and removes base
	// when its stdin reaches EOF, i.e. when we close wdPipe or the process
	// dies. Keeping wdPipe referenced here also keeps its finalizer from
	// closing it early.
	wdPipe *os.File
	wdCmd  *exec.Cmd
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
// $PGTEST_BINDIR, prefer, PATH (symlinks resolved, so Debian's pg_wrapper is
// skipped), then the newest /usr/lib/postgresql/<major>/bin.
func findBinDir(prefer string, need []string) (string, error) {
	dirs := []string{os.Getenv("PGTEST_BINDIR"), prefer}
	for _, n := range need {
		if p, err := exec.LookPath(n); err == nil {
			if r, err := filepath.EvalSymlinks(p); err == nil {
				dirs = append(dirs, filepath.Dir(r))
			}
		}
	}
	majors, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(majors, func(i, j int) bool { return majorOf(majors[i]) > majorOf(majors[j]) })
	dirs = append(dirs, majors...)
next:
	for _, d := range dirs {
		if d == "" {
			continue
		}
		for _, n := range need {
			if fi, err := os.Stat(filepath.Join(d, n)); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
				continue next
			}
		}
		return d, nil
	}
	return "", fmt.Errorf("pgtest: no directory with %s found on PATH or in /usr/lib/postgresql/*/bin", strings.Join(need, ", "))
}

func majorOf(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

// startCluster initdb's and starts a cluster in a fresh directory under
// os.TempDir(), owned by the postgres OS user when we are root (initdb and
// postgres refuse to run as root).
func startCluster(binDir string) (*server, error) {
	cred, err := runAs()
	if err != nil {
		return nil, err
	}
	parent := os.TempDir()
	if cred != nil && !traversable(parent, cred) {
		parent = "/tmp" // e.g. TMPDIR under root's 0700 home
		if !traversable(parent, cred) {
			return nil, fmt.Errorf("pgtest: neither %s nor /tmp is traversable by uid %d", os.TempDir(), cred.Uid)
		}
	}
	base, err := os.MkdirTemp(parent, "pgtest-")
	if err != nil {
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(base, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(base)
			return nil, err
		}
	}
	s := &server{base: base}
	if err := s.startWatchdog(binDir, cred); err != nil {
		os.RemoveAll(base)
		return nil, err
	}
	if err := s.initAndStart(binDir, cred); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// traversable reports whether every directory from dir up to / is
// searchable by cred (mode bits only; supplementary groups and ACLs ignored).
func traversable(dir string, cred *syscall.Credential) bool {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return false
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return false
		}
		bit := os.FileMode(0o001)
		if st.Uid == cred.Uid {
			bit = 0o100
		} else if st.Gid == cred.Gid {
			bit = 0o010
		}
		if fi.Mode().Perm()&bit == 0 {
			return false
		}
		if d == "/" {
			return true
		}
	}
}

// runAs is the credential to run initdb/postgres with: nil unless we are root.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root needs a 'postgres' OS user for initdb: %w", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// command runs a PostgreSQL binary as the cluster owner, in base, because the
// caller's working directory may not be readable by that user.
func (s *server) command(cred *syscall.Credential, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = s.base
	cmd.Env = append(os.Environ(), "LC_ALL=C", "HOME="+s.base)
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	return cmd
}

// startWatchdog starts a detached shell, as the cluster owner, that blocks
// reading a pipe only we hold; when we close it or the test binary dies
// (crash, timeout panic, SIGKILL), it stops the server and removes base.
// So no cluster outlives its test binary, with or without Main.
func (s *server) startWatchdog(binDir string, cred *syscall.Credential) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	cmd := s.command(cred, "/bin/sh", "-c",
		`read _; "$1" stop -D "$2/data" -m immediate -w >/dev/null 2>&1; rm -rf "$2"`,
		"pgtest-watchdog", filepath.Join(binDir, "pg_ctl"), s.base)
	cmd.Dir = "/"
	cmd.Stdin = r
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setsid = true // no terminal signals: Ctrl-C must not skip cleanup
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("pgtest: start watchdog: %w", err)
	}
	s.wdPipe, s.wdCmd = w, cmd
	return nil
}

// stop asks the watchdog to stop the cluster and remove its directory, and
// waits for it.
func (s *server) stop() {
	if s.wdCmd == nil {
		return
	}
	s.wdPipe.Close()
	done := make(chan error, 1)
	go func() { done <- s.wdCmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: cleanup of %s: %v\n", s.base, err)
		}
	case <-time.After(time.Minute):
		fmt.Fprintf(os.Stderr, "pgtest: cleanup of %s still running after 1m\n", s.base)
	}
	s.wdCmd = nil
	os.RemoveAll(s.base) // normally already gone; covers a failed watchdog
}

func (s *server) initAndStart(binDir string, cred *syscall.Credential) error {
	data := filepath.Join(s.base, "data")
	pwfile := filepath.Join(s.base, "pwfile")
	if err := os.WriteFile(pwfile, []byte(TestPassword+"\n"), 0o600); err != nil {
		return err
	}
	if cred != nil {
		if err := os.Chown(pwfile, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
	}
	out, err := s.command(cred, filepath.Join(binDir, "initdb"), "-D", data, "-U", TestUser,
		"--pwfile="+pwfile, "--auth-host=scram-sha-256", "--auth-local=trust",
		"--no-sync", "-E", "UTF8", "--locale=C").CombinedOutput()
	os.Remove(pwfile)
	if err != nil {
		return fmt.Errorf("pgtest: initdb: %v\n%s", err, out)
	}
	// Speed over durability: the cluster is thrown away. No unix socket, so
	// long temp paths cannot exceed the socket path limit.
	conf := "\n# pgtest\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n" +
		"fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n"
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(conf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// The free port may be taken between probing and binding: retry.
	logFile := filepath.Join(s.base, "server.log")
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		out, err := s.command(cred, filepath.Join(binDir, "pg_ctl"), "start", "-w", "-t", "60",
			"-D", data, "-l", logFile, "-o", "-p "+strconv.Itoa(port)).CombinedOutput()
		if err == nil {
			s.adminURL = (&url.URL{Scheme: "postgres", User: url.UserPassword(TestUser, TestPassword),
				Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Path: "/postgres",
				RawQuery: "sslmode=disable"}).String()
			return s.ping()
		}
		if attempt == 3 {
			log, _ := os.ReadFile(logFile)
			if len(log) > 2000 {
				log = log[len(log)-2000:]
			}
			return fmt.Errorf("pgtest: pg_ctl start: %v\n%s\nserver log tail:\n%s", err, out, log)
		}
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

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
