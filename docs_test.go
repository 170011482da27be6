package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// Every shell command and every chat command is in the README's command
// tables: the README is the user's door.
func TestEveryCommandIsDocumented(t *testing.T) {
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	readme := read("README.md")
	_, cmds, _ := strings.Cut(readme, "## Commands")
	cmds, _, _ = strings.Cut(cmds, "\n## ")

	shell := regexp.MustCompile(`(?m)^\s+"([a-z-]+)":\s+\w+,$`).FindAllStringSubmatch(read("main.go"), -1)
	chat := regexp.MustCompile(`b\.command\("([a-z_]+)"`).FindAllStringSubmatch(read("bot/routes.go"), -1)
	if len(shell) < 8 || len(chat) < 8 {
		t.Fatalf("found %d shell and %d chat commands: the patterns no longer match the code", len(shell), len(chat))
	}
	for _, m := range shell {
		if !strings.Contains(cmds, "`pgkeeper "+m[1]) {
			t.Errorf("shell command %q is not in the README's command table", m[1])
		}
	}
	for _, m := range chat {
		if !regexp.MustCompile(`\| /` + m[1] + `\b`).MatchString(cmds) {
			t.Errorf("chat command /%s is not in the README's command table", m[1])
		}
	}
}
