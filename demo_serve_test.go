package main

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/testkit/telegramtest"
)

// With a bot token and admins, the demo serves the real bot on its database
// after the tour: /status answers with the demo heading and the database's
// figures, a cleanup goes through its buttons, and SIGTERM ends it with exit
// 0, removing everything.
func TestDemoServesTheBot(t *testing.T) {
	needServer(t)
	const admin, keys = 1001, 2000
	api := telegramtest.New(t)
	p := startMain(t, map[string]string{"TELEGRAM_BOT_TOKEN": api.Token, "TELEGRAM_API_URL": api.URL,
		"TELEGRAM_ADMIN_IDS": strconv.Itoa(admin)}, "demo", "--keys", strconv.Itoa(keys))
	p.waitUntil(t, "the bot's start", func() bool { return strings.Contains(p.stdout.String(), "The bot now serves") })
	reply := func(want string) telegramtest.Call {
		t.Helper()
		return api.WaitCall(t, "sendMessage", func(c telegramtest.Call) bool {
			return c.Params["chat_id"] == strconv.Itoa(admin) && strings.Contains(c.Params["text"], want)
		}, 30*time.Second)
	}
	const heading = "<b>🧪 demo database: throwaway data, nothing here matters</b>\n"

	api.SendText(admin, "/status")
	st := reply("pgkeeper status").Params["text"]
	// The tour's cleanup was undone: every key made is there.
	if !strings.HasPrefix(st, heading) || !strings.Contains(st, "2,000 rows") {
		t.Errorf("/status is not headed as the demo's, or lacks the %d keys:\n%s", keys, st)
	}

	api.SendText(admin, "/cleanup")
	preview := reply("Nothing is deleted before the button")
	if !strings.HasPrefix(preview.Params["text"], heading) {
		t.Errorf("the cleanup preview is not headed as the demo's:\n%s", preview.Params["text"])
	}
	var del telegramtest.Button
	for _, b := range telegramtest.Buttons(preview.Params["reply_markup"]) {
		if strings.HasPrefix(b.Text, "Delete ") {
			del = b
		}
	}
	n := regexp.MustCompile(`^Delete ([\d,]+) keys$`).FindStringSubmatch(del.Text)
	if n == nil || n[1] == "0" {
		t.Fatalf("no [Delete N keys] button under the preview: %s", preview.Params["reply_markup"])
	}
	api.Press(admin, admin, preview.MessageID, del.Data)
	prog := reply("Cleanup starting")
	deadline := time.Now().Add(60 * time.Second)
	for {
		text, _, _ := api.Message(admin, prog.MessageID)
		if strings.Contains(text, "Cleanup deleted "+n[1]+" keys") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cleanup never reported deleting %s keys:\n%s", n[1], text)
		}
		time.Sleep(100 * time.Millisecond)
	}

	if code := p.terminate(t); code != exitOK {
		t.Errorf("exit %d after SIGTERM while serving, want %d\n%s\n%s", code, exitOK, p.stdout.String(), p.stderr.String())
	}
	out := p.stdout.String()
	leftNothing(t, out)
	if strings.Contains(out+p.stderr.String(), api.Token) {
		t.Error("the bot token is in the demo's output")
	}
}

// The demo takes the bot's variables from the environment and ./.env, and
// nothing else: never the DATABASE_URL a .env points at production with.
func TestDemoBotEnv(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		dotenv    string
		wantServe bool
		wantSaid  string
	}{
		{name: "nothing set", wantServe: false},
		{name: "token and admins in the environment", env: map[string]string{"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_ADMIN_IDS": "7"},
			wantServe: true},
		{name: "token and admins in .env", dotenv: "TELEGRAM_BOT_TOKEN=1:x\nTELEGRAM_ADMIN_IDS=7\nDATABASE_URL=postgres://prod/db\n",
			wantServe: true},
		{name: "a token alone", env: map[string]string{"TELEGRAM_BOT_TOKEN": "1:x"}, wantSaid: "TELEGRAM_ADMIN_IDS is not"},
		{name: "admins alone", dotenv: "TELEGRAM_ADMIN_IDS=7\n", wantSaid: "TELEGRAM_BOT_TOKEN is not"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			if tc.dotenv != "" {
				if err := os.WriteFile(".env", []byte(tc.dotenv), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			var said strings.Builder
			got, serve, err := demoBotEnv(func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok },
				func(f string, a ...any) { said.WriteString(f) })
			if err != nil || serve != tc.wantServe {
				t.Fatalf("serve %v, err %v; want serve %v", serve, err, tc.wantServe)
			}
			if tc.wantSaid != "" && !strings.Contains(said.String(), tc.wantSaid) {
				t.Errorf("said %q, want %q", said.String(), tc.wantSaid)
			}
			if _, ok := got["DATABASE_URL"]; ok {
				t.Error("the demo took DATABASE_URL from .env")
			}
			schedule, set := got["BACKUP_SCHEDULE"]
			if serve && (got["TELEGRAM_BOT_TOKEN"] != "1:x" || got["TELEGRAM_ADMIN_IDS"] != "7" || !set || schedule != "") {
				t.Errorf("bot env %v: want the bot's variables and the schedules off", got)
			}
		})
	}
}
