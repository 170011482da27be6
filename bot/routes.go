package bot

import (
	tele "gopkg.in/telebot.v3"

	"github.com/pgkeeper/pgkeeper/handlers"
	"github.com/pgkeeper/pgkeeper/internal/confirm"
)

// routes registers every command. Middleware first: telebot applies Use only
// to handlers registered after it.
func (b *Bot) routes(j Jobs) {
	b.tb.Use(b.recoverer, b.adminOnly, b.track)
	b.command("status", "database health, table sizes, key ages, tools, backup space", handlers.Status(b.ctx, j.Status))
	b.command("backup", "make a verified backup now; /backup dry shows what it would do",
		handlers.Backup(b.ctx, j.Backup, b.alerter(j.Capture)))
	store := j.Confirm
	if store == nil {
		store = confirm.New(0, nil)
	}
	cf := handlers.NewConfirmer(store)
	b.confirmer = cf
	b.tb.Handle(&tele.InlineButton{Unique: handlers.ConfirmUnique}, cf.Handle)
	b.command("backups", "the verified backups, newest first, and free space; a restore test from each",
		handlers.Backups(b.ctx, j.Backups, j.Remotes, cf, j.RestoreTest))
	if j.RestoreTest != nil {
		b.command("restore_test", "restore a backup into a scratch database and prove it (asks first)",
			handlers.RestoreTest(b.ctx, j.RestoreTest, cf, b.alerter(j.Capture)))
	}
	if j.Cleanup != nil {
		b.cleanup = true
		b.command("cleanup", "count expired keys exactly, then delete them in batches (asks first; undoable)",
			handlers.Cleanup(b.ctx, j.Cleanup, cf, b.alerter(j.Capture)))
	}
	if j.History != nil {
		b.command("history", "the last job runs: what, who, outcome, how long; /history backup failed filters",
			handlers.History(b.ctx, j.History, cf))
	}
	if j.Schedule != nil {
		b.command("schedule", "each scheduled job, its next run and last outcome", handlers.Schedule(b.ctx, j.Schedule))
	}
	if j.Trends != nil {
		b.command("trends", "charts of the last 30 days: sizes, key count, backups", handlers.Trends(b.ctx, j.Trends))
	}
	b.command("help", "what pgkeeper does and every command", nil)
	help := handlers.Help(b.commands)
	b.tb.Handle("/help", help)
	b.tb.Handle("/start", help)
	b.tb.Handle(tele.OnText, handlers.Unknown)
	b.tb.Handle(tele.OnCallback, func(c tele.Context) error {
		return c.Respond(&tele.CallbackResponse{Text: "This button is no longer valid."})
	})
}

// command registers a handler for /name and lists it in /help and the menu.
// A nil handler only lists it (for commands routed by hand).
func (b *Bot) command(name, description string, h tele.HandlerFunc) {
	b.commands = append(b.commands, handlers.Command{Name: name, Description: description})
	if h != nil {
		b.tb.Handle("/"+name, h)
	}
}
