package jobs

import (
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
)

// onThisMachine reports whether host:port (or a socket directory) is a
// server on this machine, whose data directory pgkeeper can then look at.
func onThisMachine(hostport string) bool {
	host := hostport
	if i := strings.LastIndex(hostport, ":"); i >= 0 {
		host = hostport[:i]
	}
	ip := net.ParseIP(host)
	return host == "localhost" || strings.HasPrefix(host, "/") || (ip != nil && ip.IsLoopback())
}

// sameDevice reports whether two paths are on the same filesystem.
func sameDevice(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	da, okA := sa.Sys().(*syscall.Stat_t)
	db, okB := sb.Sys().(*syscall.Stat_t)
	if !okA || !okB {
		return false, fmt.Errorf("no device numbers for %s and %s", a, b)
	}
	return da.Dev == db.Dev, nil
}

// FreeBytes is the space available to an unprivileged writer under path.
func FreeBytes(path string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, fmt.Errorf("free space of %s: %w", path, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
