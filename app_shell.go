package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/pgkeeper/pgkeeper/bot"
	"github.com/pgkeeper/pgkeeper/handlers"
	"github.com/pgkeeper/pgkeeper/internal/throttle"
)

// shellProgressEvery is how often a long shell command prints where it is.
const shellProgressEvery = 3 * time.Second

// shellProgress prints a job's progress on w (stderr: stdout keeps only the
// report, for scripts) at most every shellProgressEvery, so an operator at a
// terminal sees a long backup, restore or cleanup move.
func shellProgress[P any](w io.Writer, line func(P) string) func(P) {
	t := throttle.New(shellProgressEvery)
	return func(p P) {
		if t.Allow() {
			fmt.Fprintln(w, line(p))
		}
	}
}

// alertFromShell raises a failed shell run's alert: Sentry, and the alert chat
// when a token is configured (the shell may run because Telegram is down:
// failing to deliver is logged, not fatal).
func (a *app) alertFromShell(ctx context.Context, component string, err error, html string) {
	a.capture("shell")(component, err)
	if a.cfg.BotToken == "" || a.cfg.ChatID == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	html = handlers.HeadedHTML(a.heading, html)
	if sendErr := bot.SendAlert(ctx, a.cfg.APIURL, a.cfg.BotToken, a.cfg.ChatID, a.cfg.ThreadID, html); sendErr != nil {
		a.log.Warn("could not send the alert to Telegram", "err", sendErr)
	}
}
