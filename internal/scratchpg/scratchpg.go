// Package scratchpg starts and stops a throwaway PostgreSQL cluster from the
// machine's binaries: the test harness's server and `pgkeeper demo`'s.
//
// The cluster listens on 127.0.0.1 only, on a free port, with a password;
// it runs as the postgres OS user when we are root (initdb and postgres
// refuse root), in a directory that user owns. A watchdog stops it and
// removes its directory when the process that started it dies, however it
// dies, unless the cluster was detached (Keep).
package scratchpg

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Bins are the server binaries a cluster needs; ClientBins the client
// binaries that fill and dump it.
var (
	Bins       = []string{"initdb", "pg_ctl", "postgres"}
	ClientBins = []string{"psql", "pg_dump", "pg_restore"}
)

// Options says who the cluster's superuser is and where its directory goes.
type Options struct {
	User, Password string
	Prefix         string // of the directory's name under os.TempDir (or /tmp)
}

// Cluster is a running throwaway cluster.
type Cluster struct {
	URL     string // the superuser's URL of the "postgres" database
	Base    string // the cluster's directory (data, log); removed by Stop
	BinDir  string
	Port    int
	asOwner *syscall.Credential // nil unless we are root

	// The watchdog stops the cluster and removes Base when its stdin
	// reaches EOF: when we close wdPipe, or the process dies. Keeping
	// wdPipe referenced here also keeps its finalizer from closing it.
	wdPipe *os.File
	wdCmd  *exec.Cmd
}

// Start initdb's and starts a cluster with binDir's binaries in a fresh
// directory, owned by the postgres OS user when we are root.
func Start(binDir string, o Options) (*Cluster, error) {
	cred, err := runAs()
	if err != nil {
		return nil, err
	}
	parent := os.TempDir()
	if cred != nil && !traversable(parent, cred) {
		parent = "/tmp" // e.g. TMPDIR under root's 0700 home
		if !traversable(parent, cred) {
			return nil, fmt.Errorf("scratchpg: neither %s nor /tmp is traversable by uid %d", os.TempDir(), cred.Uid)
		}
	}
	base, err := os.MkdirTemp(parent, o.Prefix)
	if err != nil {
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(base, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(base)
			return nil, err
		}
	}
	c := &Cluster{Base: base, BinDir: binDir, asOwner: cred}
	if err := c.startWatchdog(); err != nil {
		os.RemoveAll(base)
		return nil, err
	}
	if err := c.initAndStart(o); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// Owner is the OS user the cluster runs as ("" when it is ours).
func (c *Cluster) Owner() string {
	if c.asOwner == nil {
		return ""
	}
	u, err := user.LookupId(strconv.Itoa(int(c.asOwner.Uid)))
	if err != nil {
		return strconv.Itoa(int(c.asOwner.Uid))
	}
	return u.Username
}

// Stop stops the cluster and removes its directory, and waits for it (a
// minute at most).
func (c *Cluster) Stop() {
	if c.wdCmd == nil {
		return
	}
	c.wdPipe.Close()
	done := make(chan error, 1)
	go func() { done <- c.wdCmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			fmt.Fprintf(os.Stderr, "scratchpg: cleanup of %s: %v\n", c.Base, err)
		}
	case <-time.After(time.Minute):
		fmt.Fprintf(os.Stderr, "scratchpg: cleanup of %s still running after 1m\n", c.Base)
	}
	c.wdCmd = nil
	os.RemoveAll(c.Base) // normally already gone; covers a failed watchdog
}

// Keep detaches the cluster: it outlives this process, and whoever goes on
// with it stops it by hand (StopCommand).
func (c *Cluster) Keep() error {
	if c.wdCmd == nil {
		return errors.New("scratchpg: the cluster is stopped")
	}
	// SIGKILL: the shell dies before it reads EOF, so it stops nothing.
	if err := c.wdCmd.Process.Kill(); err != nil {
		return fmt.Errorf("scratchpg: detach: %w", err)
	}
	c.wdCmd.Wait()
	c.wdPipe.Close()
	c.wdCmd = nil
	return nil
}

// StopCommand is the shell command that stops a kept cluster and removes
// its directory.
func (c *Cluster) StopCommand() string {
	stop := fmt.Sprintf("%s stop -D %s -m fast", filepath.Join(c.BinDir, "pg_ctl"), filepath.Join(c.Base, "data"))
	if owner := c.Owner(); owner != "" {
		stop = "runuser -u " + owner + " -- " + stop
	}
	return stop + " && rm -rf " + c.Base
}

// command runs a PostgreSQL binary as the cluster owner, in Base, because
// the caller's working directory may not be readable by that user.
func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = c.Base
	cmd.Env = append(os.Environ(), "LC_ALL=C", "HOME="+c.Base)
	if c.asOwner != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.asOwner}
	}
	return cmd
}

// startWatchdog starts a detached shell, as the cluster owner, that blocks
// reading a pipe only we hold; when we close it or we die (crash, SIGKILL),
// it stops the server and removes Base. So no cluster outlives its owner.
func (c *Cluster) startWatchdog() error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	cmd := c.command("/bin/sh", "-c",
		`read _; "$1" stop -D "$2/data" -m immediate -w >/dev/null 2>&1; rm -rf "$2"`,
		"scratchpg-watchdog", filepath.Join(c.BinDir, "pg_ctl"), c.Base)
	cmd.Dir = "/"
	cmd.Stdin = r
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setsid = true // no terminal signals: Ctrl-C must not skip cleanup
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("scratchpg: start watchdog: %w", err)
	}
	c.wdPipe, c.wdCmd = w, cmd
	return nil
}

func (c *Cluster) initAndStart(o Options) error {
	data := filepath.Join(c.Base, "data")
	pwfile := filepath.Join(c.Base, "pwfile")
	if err := os.WriteFile(pwfile, []byte(o.Password+"\n"), 0o600); err != nil {
		return err
	}
	if c.asOwner != nil {
		if err := os.Chown(pwfile, int(c.asOwner.Uid), int(c.asOwner.Gid)); err != nil {
			return err
		}
	}
	out, err := c.command(filepath.Join(c.BinDir, "initdb"), "-D", data, "-U", o.User,
		"--pwfile="+pwfile, "--auth-host=scram-sha-256", "--auth-local=trust",
		"--no-sync", "-E", "UTF8", "--locale=C").CombinedOutput()
	os.Remove(pwfile)
	if err != nil {
		return fmt.Errorf("scratchpg: initdb: %v\n%s", err, out)
	}
	// Speed over durability: the cluster is thrown away. No unix socket, so
	// long temp paths cannot exceed the socket path limit.
	conf := "\n# scratchpg\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n" +
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
	logFile := filepath.Join(c.Base, "server.log")
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		out, err := c.command(filepath.Join(c.BinDir, "pg_ctl"), "start", "-w", "-t", "60",
			"-D", data, "-l", logFile, "-o", "-p "+strconv.Itoa(port)).CombinedOutput()
		if err == nil {
			c.Port = port
			c.URL = (&url.URL{Scheme: "postgres", User: url.UserPassword(o.User, o.Password),
				Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Path: "/postgres",
				RawQuery: "sslmode=disable"}).String()
			return nil
		}
		if attempt == 3 {
			log, _ := os.ReadFile(logFile)
			if len(log) > 2000 {
				log = log[len(log)-2000:]
			}
			return fmt.Errorf("scratchpg: pg_ctl start: %v\n%s\nserver log tail:\n%s", err, out, log)
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
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
		return nil, fmt.Errorf("scratchpg: running as root needs a 'postgres' OS user for initdb: %w", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}
