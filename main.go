// Command pgkeeper is a Telegram chatops bot that keeps a PostgreSQL database
// backed up, restore-tested and tidy, and the same jobs from the shell.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	// Time zones for SCHEDULE_TZ even in images without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/pgkeeper/pgkeeper/internal/config"
)

// version is set at build time: -ldflags "-X main.version=1.2.3".
var version = "dev"

const usage = `pgkeeper: keeps a PostgreSQL database backed up, restore-tested and tidy.

Usage:
  pgkeeper demo [--keep] [--keys N]
                       see it work, no configuration: every report below on a throwaway PostgreSQL
                       filled with Baileys-shaped data, then everything removed; --keep leaves it running
                       with TELEGRAM_BOT_TOKEN and TELEGRAM_ADMIN_IDS set, then serves the bot on it until Ctrl-C
  pgkeeper [serve]     run the Telegram bot (needs TELEGRAM_BOT_TOKEN, TELEGRAM_ADMIN_IDS)
  pgkeeper status      the /status report as plain text; exit 0 healthy, 1 warning, 2 critical
  pgkeeper backup [--dry-run]
                       make a verified backup now; exit 1 on failure
  pgkeeper backups [--prune-broken [--yes]]
                       list the verified backups and the broken ones; --prune-broken shows what it
                       would remove of the broken ones, --yes removes it
  pgkeeper backups --remote NAME [--verify]
                       list a remote's copies (no BACKUP_DIR, key or live database needed); --verify reads
                       each one whole and compares its sha256; exit 1 when one is not as uploaded
  pgkeeper restore-test [--backup NAME] [--from REMOTE [--identity FILE]]
                       restore a backup into a scratch database, verify it, report RTO/RPO; exit 1 on failure;
                       --from streams a remote's copy (encrypted and no identity: only its ciphertext is checked)
  pgkeeper restore --into NEW_DB [--backup NAME] [--from REMOTE [--identity FILE]] [--yes]
                       disaster recovery: restore a backup (default: the newest) into a new database,
                       verify it and keep it; without --yes, only say what it would do; --from streams
                       it from a remote, --identity (a 0600 age key file) decrypts an encrypted copy
  pgkeeper cleanup [--yes] [--batch-size N]
                       preview expired keys; --yes deletes them in short batches with an undo file
  pgkeeper cleanup --undo [RUN]
                       put a cleanup's rows back (default: the newest)
  pgkeeper check       check configuration, database, pg_dump/pg_restore, BACKUP_DIR, Telegram; exit 1 on failure
  pgkeeper health      ask a running serve's /healthz (HTTP_ADDR); exit 0 when it answers, for health checks
  pgkeeper version     print the version
  pgkeeper help        this text

Several databases (DATABASE_URL_<NAME>, DATABASE_SERVER_<NAME>):
  --db NAME            run the command on that database (any command; NAME lower-case)
  --all                backup, restore-test, cleanup, backups: every database, BACKUP_PARALLEL at once
                       per server, each line starting with its name; exit code: the worst
  pgkeeper status      without --db: one line per database, worst first; exit code: the worst

Configuration comes from the environment, and from ./.env for what the environment does not set.
`

// requires is what a command needs of the configuration beyond what every
// command needs, checked with the rest so that one list names every problem.
var requires = map[string]func(config.Config) error{
	"serve":  config.Config.RequireBot,
	"health": requireHTTPAddr,
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program, with its inputs and outputs passed in so tests can
// drive it in-process.
func run(ctx context.Context, args []string, env func(string) (string, bool), stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "version", "--version":
		fmt.Fprintln(stdout, "pgkeeper", version)
		return exitOK
	case "demo": // no configuration but the bot's: it makes its own
		return demo(ctx, args, env, stdout, stderr)
	}
	commands := map[string]command{
		"serve":        serve,
		"status":       status,
		"check":        check,
		"backup":       backup,
		"backups":      backups,
		"restore-test": restoreTest,
		"restore":      restoreInto,
		"cleanup":      cleanup,
		"health":       health,
	}
	f, ok := commands[cmd]
	if !ok {
		return exit(stderr, nil, "", misusedShowUsage(fmt.Errorf("unknown command %q", cmd)))
	}
	sel, args, err := pickSelection(cmd, args)
	if err != nil {
		return exit(stderr, nil, cmd, err)
	}
	cfg, err := readConfig(env, requires[cmd])
	if err != nil {
		return exit(stderr, nil, "", &exitError{code: exitUsage, err: err})
	}
	return dispatch(ctx, cmd, f, cfg, sel, args, stdout, stderr)
}
