package bot

import (
	"fmt"
	"html"
	"strings"
	"sync"

	tele "gopkg.in/telebot.v3"

	"github.com/pgkeeper/pgkeeper/handlers"
	"github.com/pgkeeper/pgkeeper/internal/confirm"
)

// actionPick is the confirmation action of a picker's button: its Arg is
// the command, the database and the command's other arguments.
const actionPick = "pick"

// fleet routes the commands of a chat serving several databases.
type fleet struct {
	b       *Bot
	cf      *handlers.Confirmer
	names   []string // in the order given
	members map[string]*member
	// pickers holds each picker button's siblings, taken with it: one
	// press spends the whole picker.
	pickers sync.Map // token → []string
}

// fleetCommands are the commands every database may have, in menu order,
// with their description for several databases.
var fleetCommands = []struct{ name, description string }{
	{"status", "every database in a line, worst first; /status NAME: one in full"},
	{"backup", "a verified backup now: /backup NAME, /backup all, /backup NAME dry"},
	{"backups", "one database's verified backups, newest first, and free space: /backups NAME"},
	{"restore_test", "restore a backup into a scratch database and prove it: /restore_test NAME [backup] (asks first)"},
	{"cleanup", "count one database's expired keys, then delete them in batches: /cleanup NAME (asks first; undoable)"},
	{"history", "one database's last job runs: /history NAME [filter], e.g. /history NAME backup failed"},
	{"schedule", "one database's scheduled jobs, next runs and last outcomes: /schedule NAME"},
	{"trends", "one database's charts of the last 30 days: /trends NAME"},
}

// fleetRoutes registers every command for several databases.
func (b *Bot) fleetRoutes(dbs []Database) {
	b.tb.Use(b.recoverer, b.adminOnly, b.track)
	store := dbs[0].Jobs.Confirm
	if store == nil {
		store = confirm.New(0, nil)
	}
	f := &fleet{b: b, cf: handlers.NewConfirmer(store), members: map[string]*member{}}
	b.confirmer = f.cf
	b.cleanupIn = map[string]bool{}
	b.tb.Handle(&tele.InlineButton{Unique: handlers.ConfirmUnique}, f.cf.Handle)
	f.cf.OnBound(actionPick, "OK", f.picked)
	var statuses []handlers.NamedStatus
	for _, db := range dbs {
		f.names = append(f.names, db.Name)
		f.members[db.Name] = f.member(db)
		statuses = append(statuses, handlers.NamedStatus{Name: db.Name, Status: db.Jobs.Status})
		b.cleanupIn[db.Name] = db.Jobs.Cleanup != nil
	}
	overview := handlers.Overview(b.ctx, statuses)
	for _, fc := range fleetCommands {
		if len(f.having(fc.name)) == 0 {
			continue
		}
		b.command(fc.name, fc.description, f.dispatch(fc.name, overview))
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

// member builds one database's handlers, each as the one-database chat has
// it, their buttons kept apart from every other database's.
func (f *fleet) member(db Database) *member {
	ctx, j, cf := f.b.ctx, db.Jobs, f.cf.For(db.Name)
	alert := f.b.alerterVia(j.Capture, j.Notify)
	m := &member{name: db.Name, cmds: map[string]tele.HandlerFunc{
		"status":  handlers.Status(ctx, j.Status),
		"backup":  handlers.Backup(ctx, j.Backup, alert),
		"backups": handlers.Backups(ctx, j.Backups, j.Remotes, cf, j.RestoreTest),
	}}
	if j.RestoreTest != nil {
		m.cmds["restore_test"] = handlers.RestoreTest(ctx, j.RestoreTest, cf, alert)
	}
	if j.Cleanup != nil {
		m.cmds["cleanup"] = handlers.Cleanup(ctx, j.Cleanup, cf, alert)
	}
	if j.History != nil {
		m.cmds["history"] = handlers.History(ctx, j.History, cf)
	}
	if j.Schedule != nil {
		m.cmds["schedule"] = handlers.Schedule(ctx, j.Schedule)
	}
	if j.Trends != nil {
		m.cmds["trends"] = handlers.Trends(ctx, j.Trends)
	}
	return m
}

// having names the databases that offer cmd, in the order given.
func (f *fleet) having(cmd string) []string {
	var out []string
	for _, n := range f.names {
		if _, ok := f.members[n].cmds[cmd]; ok {
			out = append(out, n)
		}
	}
	return out
}

// dispatch answers /cmd [NAME|all] [args]: the named database's own
// handler, every database's backup in turn, or a picker.
func (f *fleet) dispatch(cmd string, overview tele.HandlerFunc) tele.HandlerFunc {
	return func(c tele.Context) error {
		word, rest, _ := strings.Cut(strings.TrimSpace(c.Message().Payload), " ")
		rest = strings.TrimSpace(rest)
		_, known := f.members[word]
		switch {
		case (word == "" || word == allDatabases) && cmd == "status":
			return overview(c)
		case word == "":
			return f.pick(c, cmd, "")
		case cmd == "backup" && word == allDatabases:
			return f.backupAll(c, rest)
		case known:
			return f.run(c, cmd, word, rest)
		case cmd == "backup" && isDry(word) && rest == "":
			return f.pick(c, cmd, word)
		case cmd == "history" && handlers.IsHistoryFilter(word+" "+rest):
			// /history failed: which database's failures?
			return f.pick(c, cmd, strings.TrimSpace(word+" "+rest))
		}
		names := strings.Join(f.having(cmd), ", ")
		if cmd == "backup" {
			names += " (or all)"
		}
		return send(c, fmt.Sprintf("No database is called %q. The databases: %s. Send /%s NAME, or /%s alone to pick one.",
			word, names, cmd, cmd))
	}
}

func isDry(s string) bool { return s == "dry" || s == "dry-run" || s == "--dry-run" }

// run runs database name's own handler for cmd with args as its payload.
func (f *fleet) run(c tele.Context, cmd, name, args string) error {
	h, ok := f.members[name].cmds[cmd]
	if !ok {
		why := ""
		if cmd == "cleanup" {
			why = " (it has no keys table)"
		}
		return send(c, fmt.Sprintf("/%s is not set up for %s%s. It is for: %s.", cmd, name, why, strings.Join(f.having(cmd), ", ")))
	}
	handlers.WithDatabase(c, name)
	if m := c.Message(); m != nil {
		m.Payload = args
	}
	return h(c)
}

// backupAll backs every database up in turn, one report each: never two
// heavy jobs on a database at once (each job's lock sees to it), and a
// failure of one does not keep the next from its backup.
func (f *fleet) backupAll(c tele.Context, args string) error {
	var first error
	for _, name := range f.having("backup") {
		if err := f.run(c, "backup", name, args); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// pick offers one button per database that has cmd (and "all" for
// /backup). Each button is a single-use token bound to the admin and chat
// that asked; the store, not the button, holds which database it names.
func (f *fleet) pick(c tele.Context, cmd, args string) error {
	names := f.having(cmd)
	if cmd == "backup" {
		names = append(names, allDatabases)
	}
	var uid int64
	if c.Sender() != nil {
		uid = c.Sender().ID
	}
	chat := c.Chat().ID
	m := &tele.ReplyMarkup{}
	tokens := make([]string, 0, len(names))
	var rows []tele.Row
	var row []tele.Btn
	for _, n := range names {
		token := f.cf.Store.Offer(actionPick, cmd+"\n"+n+"\n"+args, uid, chat)
		tokens = append(tokens, token)
		row = append(row, m.Data(n, handlers.ConfirmUnique, token, "y"))
		if len(row) == 3 {
			rows, row = append(rows, m.Row(row...)), nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, m.Row(row...))
	}
	m.Inline(rows...)
	f.prune()
	for _, t := range tokens {
		f.pickers.Store(t, tokens)
	}
	text := "Which database for <b>/" + html.EscapeString(cmd) + "</b>?"
	msg, err := handlers.Send(c, text, tele.ModeHTML, m)
	if err != nil {
		for _, t := range tokens {
			f.forget(t)
		}
		return err
	}
	for _, t := range tokens {
		f.cf.Store.Attach(t, msg.ID)
	}
	return nil
}

// prune drops the records of pickers the store has let go (expired).
func (f *fleet) prune() {
	f.pickers.Range(func(k, _ any) bool {
		if _, ok := f.cf.Store.Peek(k.(string)); !ok {
			f.pickers.Delete(k)
		}
		return true
	})
}

// forget spends a picker token and drops its record.
func (f *fleet) forget(token string) {
	_, _ = f.cf.Store.Take(token)
	f.pickers.Delete(token)
}

// picked runs the command a picker's button stands for, once its whole
// picker is spent.
func (f *fleet) picked(c tele.Context, p confirm.Pending) error {
	if sib, ok := f.pickers.Load(p.Token); ok {
		for _, t := range sib.([]string) {
			f.forget(t)
		}
	}
	parts := strings.SplitN(p.Arg, "\n", 3)
	if len(parts) != 3 {
		return fmt.Errorf("picker token with a malformed argument %q", p.Arg)
	}
	cmd, name, args := parts[0], parts[1], parts[2]
	if name == allDatabases {
		return f.backupAll(c, args)
	}
	if _, ok := f.members[name]; !ok {
		return fmt.Errorf("picker token names an unknown database %q", name)
	}
	return f.run(c, cmd, name, args)
}
