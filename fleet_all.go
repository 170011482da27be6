package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/pgkeeper/pgkeeper/internal/config"
	"github.com/pgkeeper/pgkeeper/internal/redact"
	"github.com/pgkeeper/pgkeeper/internal/slots"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
)

// runAll runs f on every database (--all): one run per database, at most
// BACKUP_PARALLEL at once on each server, a failing one stopping none of
// the others, the backups of one server sharing one dump of its roles.
// Each database's report comes whole when it ends, every line
// starting with its name; the exit code is the worst.
func runAll(ctx context.Context, cmd string, f command, cfg config.Config, ts []target, args []string, stdout, stderr io.Writer) int {
	var mu sync.Mutex
	red := redact.New(cfg.Secrets()...)
	servers := slots.New(cfg.Parallel)
	servers.Warn = func(server string, err error) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(stderr, perProcess(server, red.String(err.Error())))
	}
	// One pg_dumpall of each server's roles for the whole run (#14).
	roles := jobs.NewRoles(0, nil)
	codes := make([]int, len(ts))
	var wg sync.WaitGroup
	for i, t := range ts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errw := &prefixed{mu: &mu, w: stderr, prefix: t.name + ": "}
			defer errw.Flush()
			switch {
			case t.err != nil:
				codes[i] = exit(errw, red, cmd, failed(t.err))
				return
			case cmd == "cleanup" && t.cfg.KeysTable.Name == "":
				fmt.Fprintln(&prefixed{mu: &mu, w: stdout, prefix: t.name + ": "}, "no keys table (KEYS_TABLE is empty for it): skipped")
				return
			}
			// Per server across processes: a cron's --all beside a serve,
			// or two of them, still keep to BACKUP_PARALLEL.
			release, err := servers.TakeAcross(ctx, t.server, func(ctx context.Context, n int) (func(), error) {
				return store.ServerSlot(ctx, t.cfg.DatabaseURL, n)
			})
			if err != nil {
				codes[i] = exit(errw, red, cmd, failed(fmt.Errorf("not started: %w", err)))
				return
			}
			defer release()
			var out bytes.Buffer
			codes[i] = runShared(ctx, cmd, f, t.cfg, roles, args, &out, errw)
			outw := &prefixed{mu: &mu, w: stdout, prefix: t.name + ": "}
			outw.Write(out.Bytes()) //nolint:errcheck // see prefixed.emit
			outw.Flush()
		}()
	}
	wg.Wait()
	return worst(cmd, ts, codes, stderr)
}

// perProcess says why BACKUP_PARALLEL counts for this process alone on
// server, and what to do about it.
func perProcess(server, why string) string {
	return fmt.Sprintf("server %s: BACKUP_PARALLEL counts for this pgkeeper process only, not across processes (%s): "+
		"grant pgkeeper's role CONNECT on the server's database postgres to share the limit", server, why)
}

// worst is the worst exit code, said in one last line when one failed.
func worst(cmd string, ts []target, codes []int, stderr io.Writer) int {
	code := exitOK
	var bad []string
	for i, c := range codes {
		code = max(code, c)
		if c != exitOK {
			bad = append(bad, ts[i].name)
		}
	}
	if len(bad) > 0 {
		fmt.Fprintf(stderr, "pgkeeper %s --all: %d of %d failed: %s\n", cmd, len(bad), len(ts), strings.Join(bad, ", "))
	}
	return code
}
