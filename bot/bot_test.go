package bot_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/bot"
	"github.com/pgkeeper/pgkeeper/internal/humanize"
	"github.com/pgkeeper/pgkeeper/internal/testkit/bottest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/pgtest"
	"github.com/pgkeeper/pgkeeper/internal/testkit/telegramtest"
	"github.com/pgkeeper/pgkeeper/jobs"
	"github.com/pgkeeper/pgkeeper/store"
	"github.com/pgkeeper/pgkeeper/vocab"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// realJobs are the jobs on a freshly seeded database, as serve builds them.
func realJobs(t *testing.T, seed pgtest.Seed) (bot.Jobs, string) {
	t.Helper()
	url := pgtest.NewBaileysDB(t, seed)
	db, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	dir := filepath.Join(t.TempDir(), "backups")
	status := &jobs.Status{DB: db, Config: jobs.StatusConfig{
		Tables: []vocab.Ident{{Name: "whatsapp_auth"}, {Name: "whatsapp_keys"}}, KeysTable: vocab.Ident{Name: "whatsapp_keys"},
		KeysAgeColumn: "updated_at", RetentionDays: 30, LatencyThreshold: time.Second, PoolThreshold: 0.8,
		BackupDir: dir, BackupMaxAge: 26 * time.Hour, PGBinDir: pgtest.BinDir(t),
	}}
	backup := &jobs.Backup{DB: db, Config: jobs.BackupConfig{DatabaseURL: url, Dir: dir, PGBinDir: pgtest.BinDir(t),
		Retention: jobs.Retention{KeepDaily: 7, KeepMonthly: 4}, DropWarn: 0.2}}
	return bot.Jobs{Status: status, Backup: backup, Backups: jobs.Catalog{Dir: dir, DB: db}}, url
}

func TestStatusEndToEnd(t *testing.T) {
	j, url := realJobs(t, pgtest.Seed{Companies: 3, Keys: 2500, Days: 60})
	h := bottest.Start(t, j, nil)
	h.API.SendText(bottest.Admin, "/status")
	reply := h.Reply(t, bottest.Admin, "pgkeeper status")
	keys := humanize.Int(pgtest.QueryInt(t, url, "SELECT count(*) FROM whatsapp_keys"))
	expired := humanize.Int(pgtest.QueryInt(t, url, "SELECT count(*) FROM whatsapp_keys WHERE updated_at < now() - interval '30 days'"))
	for _, want := range []string{keys + " rows", "3 rows", expired + " older than 30 d", "pg_dump 15", "no verified backup yet"} {
		if !strings.Contains(reply.Params["text"], want) {
			t.Errorf("status lacks %q:\n%s", want, reply.Params["text"])
		}
	}
	if reply.Params["parse_mode"] != "HTML" {
		t.Errorf("status sent as %q, want HTML", reply.Params["parse_mode"])
	}
	// The command menu was published at start.
	cmds := h.API.Calls("setMyCommands")
	if len(cmds) == 0 || !strings.Contains(cmds[0].Params["commands"], `"status"`) {
		t.Errorf("setMyCommands not called with /status: %+v", cmds)
	}
}

func TestStrangerGetsOnlyARefusal(t *testing.T) {
	j, _ := realJobs(t, pgtest.Seed{Companies: 1, Keys: 100, Days: 10})
	h := bottest.Start(t, j, nil)
	for _, text := range []string{"/status", "/backup", "hello"} {
		h.API.SendText(bottest.Stranger, text)
	}
	h.API.SendTextInChat(bottest.Stranger, -100500, "/status@"+telegramtest.BotUsername)
	h.API.Press(bottest.Stranger, bottest.Stranger, 1, "\fcf|forged")
	h.API.SendText(bottest.Admin, "/help")
	h.Reply(t, bottest.Admin, "/status")
	// Updates are handled concurrently: wait for the three private
	// refusals, then give a fifth message (the stranger's command in the
	// group and button press must not send one) time to show up.
	h.API.WaitCount(t, "sendMessage", 4, 10*time.Second)
	h.API.WaitCall(t, "answerCallbackQuery", nil, 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	for _, c := range h.API.Calls("sendMessage") {
		if c.Params["chat_id"] == "1001" {
			continue
		}
		if c.Params["text"] != "⛔ This bot is private." || c.Params["reply_markup"] != "" {
			t.Errorf("a stranger got more than the refusal: %+v", c.Params)
		}
	}
	if n := len(h.API.Calls("sendMessage")); n != 4 {
		t.Errorf("%d messages sent, want 3 refusals in private and the admin's help", n)
	}
	answers := h.API.WaitCall(t, "answerCallbackQuery", nil, 5*time.Second)
	if !strings.Contains(answers.Params["text"], "private") {
		t.Errorf("stranger's button press answered %q", answers.Params["text"])
	}
	if !strings.Contains(h.Logs(), "user_id=6666") {
		t.Errorf("the stranger's id was not logged:\n%s", h.Logs())
	}
}

func TestHelpListsEveryCommand(t *testing.T) {
	j, _ := realJobs(t, pgtest.Seed{Companies: 1, Keys: 10, Days: 1})
	h := bottest.Start(t, j, nil)
	h.API.SendText(bottest.Admin, "/help")
	reply := h.Reply(t, bottest.Admin, "pgkeeper")
	cmds := h.API.Calls("setMyCommands")[0].Params["commands"]
	for _, name := range []string{"status", "backup", "backups", "help"} {
		if !strings.Contains(reply.Params["text"], "/"+name+" — ") || !strings.Contains(cmds, `"`+name+`"`) {
			t.Errorf("/%s missing from /help or the menu:\n%s\n%s", name, reply.Params["text"], cmds)
		}
	}
	if !strings.Contains(reply.Params["text"], "pgkeeper restore --into") || reply.Params["parse_mode"] != "HTML" {
		t.Errorf("/help does not say where recovery is:\n%s", reply.Params["text"])
	}
}

// panicky is a status job that panics, standing for any handler bug.
type panicky struct{}

func (panicky) Run(context.Context) jobs.StatusReport   { panic(42) }
func (panicky) Brief(context.Context) jobs.StatusReport { panic(42) }

func TestPanickingHandlerLeavesTheBotAnswering(t *testing.T) {
	j, _ := realJobs(t, pgtest.Seed{Companies: 1, Keys: 10, Days: 1})
	j.Status = panicky{}
	h := bottest.Start(t, j, nil)
	h.API.SendText(bottest.Admin, "/status")
	h.Reply(t, bottest.Admin, "Internal error (id ")
	h.API.SendText(bottest.Admin, "/help")
	h.Reply(t, bottest.Admin, "/backups")
	if !strings.Contains(h.Logs(), "panic: 42") {
		t.Errorf("the panic was not logged:\n%s", h.Logs())
	}
}

func TestSurvivesBotAPIOutage(t *testing.T) {
	j, _ := realJobs(t, pgtest.Seed{Companies: 1, Keys: 10, Days: 1})
	h := bottest.Start(t, j, nil)
	h.API.SendText(bottest.Admin, "/help")
	h.Reply(t, bottest.Admin, "/status")

	outage := 2 * time.Second
	before := h.API.Count("getUpdates")
	h.API.FailFor(outage/2, 502, telegramtest.BadGatewayHTML)
	time.Sleep(outage / 2)
	h.API.FailFor(outage/2, 409, telegramtest.ConflictJSON)
	time.Sleep(outage / 2)
	during := h.API.Count("getUpdates") - before
	// Backoff from 50 ms doubling to 400 ms: about 8 tries in 2 s. telebot's own
	// poller makes thousands.
	if during > 20 {
		t.Errorf("%d getUpdates during a %s outage: not backing off", during, outage)
	}
	h.API.SendText(bottest.Admin, "/help")
	h.Reply(t, bottest.Admin, "/backups")
	if strings.Contains(h.Logs(), h.API.Token) || strings.Contains(h.Logs(), strings.Split(h.API.Token, ":")[1]) {
		t.Errorf("the token is in the log:\n%s", h.Logs())
	}
}

func TestBackupEndToEnd(t *testing.T) {
	j, _ := realJobs(t, pgtest.Seed{Companies: 2, Keys: 3000, Days: 60})
	h := bottest.Start(t, j, nil)
	h.API.SendText(bottest.Admin, "/backup")
	first := h.Reply(t, bottest.Admin, "Backup starting")
	text, _ := h.Shown(t, bottest.Admin, first.MessageID, "Backup verified", 60*time.Second)
	for _, want := range []string{".dump.zst", "pg_restore --list lists every table", "daily 1/7 · monthly 1/4", "whatsapp_keys"} {
		if !strings.Contains(text, want) {
			t.Errorf("backup report lacks %q:\n%s", want, text)
		}
	}
	h.API.SendText(bottest.Admin, "/backups")
	list := h.Reply(t, bottest.Admin, "Backups · 1")
	if !strings.Contains(list.Params["text"], "monthly") {
		t.Errorf("/backups:\n%s", list.Params["text"])
	}
	h.API.SendText(bottest.Admin, "/backup nonsense")
	h.Reply(t, bottest.Admin, `Unknown argument "nonsense"`)
}

func TestSecondBackupWhileOneRuns(t *testing.T) {
	j, url := realJobs(t, pgtest.Seed{Companies: 1, Keys: 100, Days: 10})
	other, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.TryLock(context.Background(), "backup", "shell", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock(context.Background())
	h := bottest.Start(t, j, nil)
	h.API.SendText(bottest.Admin, "/backup")
	first := h.Reply(t, bottest.Admin, "Backup starting")
	h.Shown(t, bottest.Admin, first.MessageID, "backup already running since", 20*time.Second)
}
