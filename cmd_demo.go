package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/pgkeeper/pgkeeper/internal/config"
	"github.com/pgkeeper/pgkeeper/internal/scratchpg"
	"github.com/pgkeeper/pgkeeper/store"
)

// demoSeed is the demo's data: a realistic size for one Baileys service,
// with keys older than the default 30 days' retention.
var demoSeed = scratchpg.Seed{Companies: 5, Keys: 300_000, Days: 45}

// demoStep is one shell command the demo runs, as `pgkeeper CMD ARGS` would.
type demoStep struct {
	title string
	run   command
	args  []string
}

var demoSteps = []demoStep{
	{"pgkeeper status", status, nil},
	{"pgkeeper backup", backup, nil},
	{"pgkeeper restore-test", restoreTest, nil},
	{"pgkeeper cleanup", cleanup, nil},
	{"pgkeeper cleanup --yes", cleanup, []string{"--yes"}},
	{"pgkeeper cleanup --undo", cleanup, []string{"--undo"}},
	{"pgkeeper backups", backups, nil},
}

// demo (`pgkeeper demo`) shows what pgkeeper does, with no configuration:
// on a throwaway PostgreSQL filled with Baileys-shaped data, every shell
// command's report, as the chat shows it. Everything it made is removed at
// the end, Ctrl-C included, unless --keep leaves the cluster to go on with.
// With a bot token and admins (environment or .env), the bot then serves
// the demo database until Ctrl-C.
func demo(ctx context.Context, args []string, env func(string) (string, bool), stdout, stderr io.Writer) int {
	var keep bool
	seed := demoSeed
	if err := flags("demo", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&keep, "keep", false, "leave the cluster running and print its DATABASE_URL")
		fs.IntVar(&seed.Keys, "keys", seed.Keys, "keys to make")
	}); err != nil {
		return exit(stderr, nil, "demo", err)
	}
	if seed.Keys < 0 {
		return exit(stderr, nil, "demo", misused("--keys must be 0 or more"))
	}
	return exit(stderr, nil, "demo", runDemo(ctx, keep, seed, env, stdout, stderr))
}

func runDemo(ctx context.Context, keep bool, seed scratchpg.Seed, getenv func(string) (string, bool), stdout, stderr io.Writer) (err error) {
	server, client, err := demoTools(scratchpg.FindBinDir)
	if err != nil {
		return err
	}
	say := func(format string, args ...any) { fmt.Fprintf(stdout, format+"\n", args...) }
	botEnv, serveBot, err := demoBotEnv(getenv, say)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	backupsDir, err := os.MkdirTemp("", "pgkeeper-demo-backups-")
	if err != nil {
		return failed(fmt.Errorf("make a directory for the backups: %w", err))
	}
	c, err := demoCluster(ctx, server, client, seed, say)
	if err != nil {
		os.RemoveAll(backupsDir)
		return failed(err)
	}
	defer func() {
		if keep && err == nil {
			err = keepDemo(c, client, backupsDir, say)
		} else {
			c.Stop()
			os.RemoveAll(backupsDir)
			say("\nThe throwaway PostgreSQL is stopped; its data and the backups are deleted.")
		}
	}()
	env := map[string]string{
		"DATABASE_URL": c.DBURL(demoDB), "BACKUP_DIR": filepath.Join(backupsDir, "backups"), "PG_BIN_DIR": client,
		"LOG_LEVEL": "warn",
		// The demo's data is older than the guards of a scheduled run
		// allow at once; a person watching is the confirmation.
		"CLEANUP_MAX_ROWS": strconv.Itoa(seed.Keys), "CLEANUP_MAX_SHARE": "1",
	}
	for k, v := range botEnv {
		env[k] = v
	}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, store.ParseURL)
	if err != nil {
		return failed(fmt.Errorf("the demo's configuration: %w", err))
	}
	a, err := newApp(ctx, cfg, stdout, stderr)
	if err != nil {
		return failed(err)
	}
	defer a.close()
	a.heading = demoHeading // what reaches Telegram says it is the demo
	for _, s := range demoSteps {
		say("\n━━ %s ━━", s.title)
		err := s.run(ctx, a, s.args)
		var e *exitError
		if s.title == "pgkeeper status" && errors.As(err, &e) && e.err == nil {
			err = nil // a warning (no backup yet) is the status's own news
		}
		if err != nil {
			return fmt.Errorf("%s: %w", s.title, err)
		}
		if ctx.Err() != nil {
			return failed(fmt.Errorf("stopped: %w", context.Cause(ctx)))
		}
	}
	if serveBot {
		return serveDemo(ctx, a, say)
	}
	return nil
}

// keepDemo leaves the cluster running and says how to go on and how to stop.
func keepDemo(c *scratchpg.Cluster, client, backupsDir string, say func(string, ...any)) error {
	if err := c.Keep(); err != nil {
		c.Stop()
		os.RemoveAll(backupsDir)
		return failed(err)
	}
	say("\nThe throwaway PostgreSQL keeps running (--keep). Go on by hand:")
	say("  export DATABASE_URL='%s'", c.DBURL(demoDB))
	say("  export BACKUP_DIR='%s' PG_BIN_DIR='%s'", filepath.Join(backupsDir, "backups"), client)
	say("  go run . status     # or any command of `go run . help`")
	say("Stop it and delete its data and the backups when done:")
	say("  %s && rm -rf %s", c.StopCommand(), backupsDir)
	return nil
}

// demoPassword is a new password for each throwaway cluster.
func demoPassword() string { return rand.Text() }
