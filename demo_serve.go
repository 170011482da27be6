package main

import (
	"context"
	"fmt"
)

// demoHeading opens every message the demo's bot sends, so that nobody
// takes its figures for their own database's.
const demoHeading = "🧪 demo database: throwaway data, nothing here matters"

// demoBotVars are what the demo takes from the environment or ./.env: the
// bot's settings only. Never DATABASE_URL or anything else: the demo works
// on its own throwaway database, whatever .env points at.
var demoBotVars = []string{"TELEGRAM_BOT_TOKEN", "TELEGRAM_ADMIN_IDS", "TELEGRAM_API_URL", "TELEGRAM_CHAT_ID",
	"TELEGRAM_THREAD_ID"}

// demoBotEnv is the demo's bot configuration, read from env and ./.env, and
// whether there is a bot to serve (a token and admins; with only one of
// them it says what is missing). Its schedules are off: in a demo, things
// happen when someone asks.
func demoBotEnv(env func(string) (string, bool), say func(string, ...any)) (map[string]string, bool, error) {
	lookup, _, err := withDotenv(env)
	if err != nil {
		return nil, false, err
	}
	out := map[string]string{}
	for _, k := range demoBotVars {
		if v, ok := lookup(k); ok && v != "" {
			out[k] = v
		}
	}
	switch token, admins := out["TELEGRAM_BOT_TOKEN"] != "", out["TELEGRAM_ADMIN_IDS"] != ""; {
	case token && !admins:
		say("TELEGRAM_BOT_TOKEN is set but TELEGRAM_ADMIN_IDS is not: the demo shows its reports, and serves no bot.")
		return nil, false, nil
	case admins && !token:
		say("TELEGRAM_ADMIN_IDS is set but TELEGRAM_BOT_TOKEN is not: the demo shows its reports, and serves no bot.")
		return nil, false, nil
	case !token:
		return nil, false, nil
	}
	for _, k := range []string{"BACKUP_SCHEDULE", "CLEANUP_SCHEDULE", "RESTORE_TEST_SCHEDULE", "SUMMARY_SCHEDULE"} {
		out[k] = ""
	}
	return out, true, nil
}

// serveDemo runs serve, bot and all, on the demo's database until ctx ends
// (Ctrl-C, SIGTERM): every chat command and button on data that does not
// matter. Its end is the demo's normal end.
func serveDemo(ctx context.Context, a *app, say func(string, ...any)) error {
	a.heading = demoHeading
	say("\n━━ pgkeeper serve ━━")
	say("The bot now serves this demo database in Telegram: send /help or /status to it from an admin's account "+
		"(TELEGRAM_ADMIN_IDS), and press its buttons. Every message it sends opens with %q.", demoHeading)
	say("Ctrl-C stops it and removes everything.")
	if err := serve(ctx, a, nil); err != nil {
		return fmt.Errorf("pgkeeper serve: %w", err)
	}
	return nil
}
