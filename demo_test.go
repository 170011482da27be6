package main

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/scratchpg"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
)

// demoKeys keeps the end-to-end runs short; the figures are checked all the same.
const demoKeys = "20000"

func needServer(t *testing.T) {
	t.Helper()
	if _, err := scratchpg.FindBinDir(scratchpg.Bins); err != nil && os.Getenv("CI") != "true" {
		t.Skipf("no PostgreSQL server binaries: %v", err)
	}
}

// figure is the number (with thousands separators) captured by re's first group.
func figure(t *testing.T, out, re string) int64 {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q in the demo's output:\n%s", re, out)
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(m[1], ",", ""), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The demo's reports say what the database it made holds: the backup's rows
// are the table's, the cleanup deletes exactly what its preview announced and
// what the rule selects, and the undo brings every key back.
func TestDemoKeepReportsMatchTheDatabase(t *testing.T) {
	needServer(t)
	start := time.Now()
	code, out, errOut := runCLI(t, nil, "demo", "--keep", "--keys", demoKeys)
	end := time.Now()
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	dbURL := regexp.MustCompile(`export DATABASE_URL='([^']+)'`).FindStringSubmatch(out)
	stop := regexp.MustCompile(`(?m)^  (.* stop -D .*)$`).FindStringSubmatch(out)
	if dbURL == nil || stop == nil {
		t.Fatalf("--keep printed no DATABASE_URL or stop command:\n%s", out)
	}
	t.Cleanup(func() {
		if b, err := exec.Command("/bin/sh", "-c", stop[1]).CombinedOutput(); err != nil {
			t.Errorf("the printed stop command failed: %v\n%s", err, b)
		}
	})
	keys := pgtest.QueryInt(t, dbURL[1], "SELECT count(*) FROM whatsapp_keys")
	if want, _ := strconv.ParseInt(demoKeys, 10, 64); keys != want {
		t.Errorf("whatsapp_keys holds %d keys after the undo, want the %d made", keys, want)
	}
	if got := figure(t, out, `(?m)^  whatsapp_keys +([\d,]+)$`); got != keys {
		t.Errorf("the backup counted %d keys, the database holds %d", got, keys)
	}
	if got := figure(t, out, `(?m)^  whatsapp_auth +([\d,]+)$`); got != pgtest.QueryInt(t, dbURL[1], "SELECT count(*) FROM whatsapp_auth") {
		t.Errorf("the backup counted %d companies, the database holds another number", got)
	}
	if !strings.Contains(out, "Restore test passed") {
		t.Errorf("no passed restore test:\n%s", out)
	}
	// The RTO is a duration ("940 ms", "1.16 s"), not a count: its presence is the check.
	if !regexp.MustCompile(`RTO [\d.]+ \S+ \(restore`).MatchString(out) {
		t.Errorf("no RTO in the restore test's report:\n%s", out)
	}
	previewed := figure(t, out, `Cleanup preview: ([\d,]+) of`)
	deleted := figure(t, out, `Cleanup deleted ([\d,]+) keys`)
	undone := figure(t, out, `all ([\d,]+) keys in the file came back`)
	if previewed != deleted || deleted != undone || deleted == 0 {
		t.Errorf("preview %d, deleted %d, put back %d: want one number, not 0", previewed, deleted, undone)
	}
	// The rule's own count, at the start and at the end of the run, bounds it.
	rule := "SELECT count(*) FROM whatsapp_keys k WHERE " + pgtest.Deletable
	low := pgtest.QueryInt(t, dbURL[1], rule, start.Add(-30*24*time.Hour), start)
	high := pgtest.QueryInt(t, dbURL[1], rule, end.Add(-30*24*time.Hour), end)
	if deleted < low || deleted > high {
		t.Errorf("the cleanup deleted %d keys, the rule selects between %d and %d", deleted, low, high)
	}
	if !strings.Contains(out, "Backups · 1") {
		t.Errorf("the backups list does not hold the one backup:\n%s", out)
	}
}

// Without --keep nothing is left: no server on the port, no data, no backups.
func TestDemoLeavesNothing(t *testing.T) {
	needServer(t)
	code, out, errOut := runCLI(t, nil, "demo", "--keys", "2000")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	port := figure(t, out, `listens on 127\.0\.0\.1:(\d+)`)
	data := regexp.MustCompile(`its data is in (\S+)\.`).FindStringSubmatch(out)
	backups := regexp.MustCompile(`(\S*pgkeeper-demo-backups-\S*)/backups`).FindStringSubmatch(out)
	if data == nil || backups == nil {
		t.Fatalf("the demo did not say where its data and backups are:\n%s", out)
	}
	if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.FormatInt(port, 10)), time.Second); err == nil {
		c.Close()
		t.Errorf("something still listens on the demo's port %d", port)
	}
	for _, dir := range []string{data[1], backups[1]} {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s is left behind (%v)", dir, err)
		}
	}
}

// SIGTERM (as Ctrl-C) in the middle of the demo stops it and still removes
// everything it made.
func TestDemoSIGTERMLeavesNothing(t *testing.T) {
	needServer(t)
	p := startMain(t, nil, "demo", "--keys", demoKeys)
	p.waitUntil(t, "the backup's start", func() bool { return strings.Contains(p.stdout.String(), "━━ pgkeeper backup") })
	if code := p.terminate(t); code != exitFailed {
		t.Errorf("exit %d after SIGTERM, want %d\n%s\n%s", code, exitFailed, p.stdout.String(), p.stderr.String())
	}
	out := p.stdout.String()
	leftNothing(t, out)
	if !strings.Contains(out, "its data and the backups are deleted") {
		t.Errorf("the demo did not say it removed everything:\n%s", out)
	}
}

// Without the server, or without pg_dump, the demo names the package to install.
func TestDemoToolsNameThePackage(t *testing.T) {
	fakeServer := "/usr/lib/postgresql/15/bin"
	tests := []struct {
		name    string
		missing string // a binary the finder cannot find
		want    string
	}{
		{"no server", "initdb", "`apt-get install " + scratchpg.Package(true) + "`"},
		{"no pg_dump", "pg_dump", "`apt-get install postgresql-client-15`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			find := func(need []string, first ...string) (string, error) {
				if slices.Contains(need, tt.missing) {
					return "", errors.New("not found")
				}
				return fakeServer, nil
			}
			_, _, err := demoTools(find)
			var e *exitError
			if !errors.As(err, &e) || e.code != exitFailed || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want exit %d naming %s", err, exitFailed, tt.want)
			}
		})
	}
}

// leftNothing checks that the demo whose output is out stopped its server
// and removed its data and backup directories.
func leftNothing(t *testing.T, out string) {
	t.Helper()
	port := figure(t, out, `listens on 127\.0\.0\.1:(\d+)`)
	if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.FormatInt(port, 10)), time.Second); err == nil {
		c.Close()
		t.Errorf("something still listens on the demo's port %d", port)
	}
	for _, re := range []string{`its data is in (\S+)\.`, `(\S*pgkeeper-demo-backups-\S*)/backups`} {
		m := regexp.MustCompile(re).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no %q in the output:\n%s", re, out)
		}
		if _, err := os.Stat(m[1]); !os.IsNotExist(err) {
			t.Errorf("%s is left behind (%v)", m[1], err)
		}
	}
}
