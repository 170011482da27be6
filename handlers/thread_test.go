package handlers

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	tele "gopkg.in/telebot.v3"
)

func TestInThread(t *testing.T) {
	markup := &tele.ReplyMarkup{}
	for _, tc := range []struct {
		name   string
		thread int
		give   []any
		want   int // the ThreadID telebot ends up sending
	}{
		{name: "no topic", thread: 0, give: []any{tele.ModeHTML}, want: 0},
		{name: "flags only", thread: 7, give: []any{tele.ModeHTML, tele.NoPreview, markup}, want: 7},
		{name: "send options", thread: 7, give: []any{&tele.SendOptions{ParseMode: tele.ModeHTML}}, want: 7},
		{name: "send options after flags", thread: 7, give: []any{tele.NoPreview, &tele.SendOptions{}}, want: 7},
		{name: "a topic of its own", thread: 7, give: []any{&tele.SendOptions{ThreadID: 9}}, want: 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := InThread(tc.thread, tc.give)
			// telebot keeps the last *SendOptions and applies the flags after it.
			thread := 0
			for _, o := range got {
				if so, ok := o.(*tele.SendOptions); ok {
					thread = so.ThreadID
				}
			}
			if thread != tc.want {
				t.Errorf("thread %d, want %d (options %#v)", thread, tc.want, got)
			}
			if len(got) < len(tc.give) {
				t.Errorf("options lost: %#v from %#v", got, tc.give)
			}
		})
	}
	if so := (&tele.SendOptions{}); InThread(7, []any{so}) != nil && so.ThreadID != 0 {
		t.Error("InThread changed the caller's options")
	}
}

// Every reply goes through Send, which keeps the forum topic: telebot's
// c.Send and c.Bot().Send(c.Recipient(), …) would post it to the General
// topic instead.
func TestRepliesKeepTheTopic(t *testing.T) {
	bad := regexp.MustCompile(`\bc\.Send\(|\bc\.Reply\(|\.Bot\(\)\.Send\(\w*\.?c\.Recipient\(\)`)
	for _, dir := range []string{".", "../bot"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s: %v", dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") || strings.HasSuffix(f, "thread.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for i, line := range strings.Split(string(src), "\n") {
				if bad.MatchString(line) {
					t.Errorf("%s:%d replies without its topic (use handlers.Send): %s", f, i+1, strings.TrimSpace(line))
				}
			}
		}
	}
}
