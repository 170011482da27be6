package main

import (
	"net"
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
	if strings.Contains(out+p.stderr.String(), api.Token) {
		t.Error("the bot token is in the demo's output")
	}
}
