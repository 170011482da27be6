package redact

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestRedactorString(t *testing.T) {
	const token = "123456789:AAsecret-token-value"
	const pass = `p@ss w<o>rd|&;$'"x`
	r := New(token, pass, "")
	tests := []struct {
		name string
		give string
		want string
	}{
		{"token in telebot URL", `Post "https://api.telegram.org/bot123456789:AAsecret-token-value/getUpdates": dial tcp`, `Post "https://api.telegram.org/bot***/getUpdates": dial tcp`},
		{"raw password", "password is " + pass, "password is ***"},
		{"url-escaped password", "postgres://u:p%40ss%20w%3Co%3Erd%7C%26%3B%24%27%22x@h/db", "postgres://u:***@h/db"},
		{"unknown URL password", "postgres://bob:hunter22@db:5432/x", "postgres://bob:***@db:5432/x"},
		{"keyword password quoted", `host=db password='se cr\'et' user=x`, "host=db password=*** user=x"},
		{"keyword password bare", "host=db password=abc123 user=x", "host=db password=*** user=x"},
		{"nothing secret", "all good: 42 rows", "all good: 42 rows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.String(tt.give); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.give, got, tt.want)
			}
		})
	}
}

func TestRedactorErrorKeepsChain(t *testing.T) {
	sentinel := errors.New("boom")
	r := New("supersecret")
	err := r.Error(fmt.Errorf("connect with supersecret: %w", sentinel))
	if strings.Contains(err.Error(), "supersecret") {
		t.Fatalf("secret leaked: %v", err)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("errors.Is lost the chain: %v", err)
	}
	if r.Error(nil) != nil {
		t.Fatal("nil error must stay nil")
	}
}

func TestHandlerRedactsEverything(t *testing.T) {
	var buf bytes.Buffer
	r := New("supersecret")
	log := slog.New(NewHandler(slog.NewTextHandler(&buf, nil), r)).With("dsn", "postgres://u:supersecret@h/db")
	log.Info("got supersecret", "err", errors.New("bad supersecret"), slog.Group("g", "k", "supersecret"), "n", 3)
	if strings.Contains(buf.String(), "supersecret") {
		t.Fatalf("secret in log: %s", buf.String())
	}
	if !strings.Contains(buf.String(), "n=3") {
		t.Fatalf("non-secret attribute lost: %s", buf.String())
	}
}
